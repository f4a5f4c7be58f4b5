/**
 * The view type of the table's stream, one definition for the CDK stack (lib/builds-stack.ts)
 * and the local table (local/table.ts). Both images: the build events pipe (lib/build-events.ts)
 * must see a build's status before and after a change to keep only `building` → `completed` /
 * `failed`; the outbox pipe (lib/build-outbox.ts) reads only the new image of inserts.
 */
export const TABLE_STREAM_VIEW_TYPE = 'NEW_AND_OLD_IMAGES' as const;
