import { fileURLToPath } from 'node:url';
import type { BuildStatus } from '../lambda/domain/model';
import { BUILD_SORT_PREFIX, DEPLOYMENT_SORT_PREFIX, TABLE_KEY } from '../lambda/store/keys';
import { applyInputTemplate, matchesPattern, type Pattern, type StreamEvent } from './build-outbox';
import { renderDefinition } from './workflow-definition';

/**
 * Build events: when a build ends and when a deployment is created, an event goes to the
 * stack's EventBridge bus. The table's stream is the source (nothing is added to the API's
 * path, and a function that dies after its write cannot lose the event): a second EventBridge
 * Pipe keeps the records below and hands each to a small Express workflow
 * (lib/build-events.asl.json) that reads the item and puts the event. This module is the one
 * definition of that pipe; lib/build-events-construct.ts deploys it and the local stream poller
 * (local/stream-poller.ts) plays it beside DynamoDB Local.
 *
 * Why the workflow reads the item rather than taking it from the record: one pipe has one
 * input template, and its two kinds of records have different attributes (a build's status, a
 * deployment's build and environment). What Pipes does with a template path missing from a
 * record is not documented; lib/build-outbox.ts (and the local poller) treat it as a record
 * that cannot be transformed, so a template naming both kinds' attributes could fail every
 * record. The whole images would carry every version snapshot of a build, twice, past Step
 * Functions' 256 KiB input. The keys are in every record; a consistent GetItem of the final
 * item costs one read per event, off the API's path. A pipe per kind would be a third reader of
 * the stream's shards, where DynamoDB advises at most two.
 */

const BUILD_ENDED_STATUSES: readonly BuildStatus[] = ['completed', 'failed'];

/** A build whose status changed from `building` to `completed` or `failed` (the workflow's conditional UpdateItem). */
export const BUILD_ENDED_FILTER = {
  eventName: ['MODIFY'],
  dynamodb: {
    Keys: { [TABLE_KEY.sortKey]: { S: [{ prefix: BUILD_SORT_PREFIX }] } },
    OldImage: { status: { S: ['building'] } },
    NewImage: { status: { S: BUILD_ENDED_STATUSES } },
  },
} as const;

/** A newly inserted deployment item (a deployment is never modified). */
export const DEPLOYMENT_CREATED_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { [TABLE_KEY.sortKey]: { S: [{ prefix: DEPLOYMENT_SORT_PREFIX }] } } },
} as const;

/** The pipe's filters: a record matching any of them is kept (EventBridge Pipes ORs its filters). */
export const BUILD_EVENTS_FILTERS = [BUILD_ENDED_FILTER, DEPLOYMENT_CREATED_FILTER] as const;

/** The pipe's input template: the item's key, the only attributes every kept record has. */
export const BUILD_EVENTS_INPUT_TEMPLATE = `{
  "PK": "<$.dynamodb.Keys.${TABLE_KEY.partitionKey}.S>",
  "SK": "<$.dynamodb.Keys.${TABLE_KEY.sortKey}.S>"
}`;

/**
 * One record per execution: an event is a rare thing (a build's end, a deployment), so
 * batching would save cents per million events while a failing record would make the pipe
 * retry, and put again, the events of the records batched with it. Pipes still hands the
 * workflow an array (of one); its first state takes `$[0]`.
 */
export const BUILD_EVENTS_BATCH_SIZE = 1;

/**
 * How often the pipe retries a record whose execution failed before it sends the record to
 * its dead-letter queue; the local poller retries as often.
 */
export const BUILD_EVENTS_RETRY_ATTEMPTS = 3;

/** The `source` of every event this stack puts. */
export const BUILD_EVENT_SOURCE = 'twilio-serverless';

/** The stack's event bus for a stage (the local stack's is the `local` stage's). */
export const eventBusName = (stage: string): string => `${BUILD_EVENT_SOURCE}-${stage}`;

/** The one definition of the events workflow, used by the CDK stack and by the local stack. */
export const BUILD_EVENTS_DEFINITION_FILE = fileURLToPath(new URL('./build-events.asl.json', import.meta.url));

/** Values substituted into the events workflow's `${Name}` placeholders. */
export interface BuildEventsSubstitutions {
  TableName: string;
  EventBusName: string;
  EventSource: string;
}

/** The events workflow's definition after substitution (Step Functions substitutes on AWS). */
export function renderBuildEventsDefinition(substitutions: BuildEventsSubstitutions): Record<string, unknown> {
  return renderDefinition(BUILD_EVENTS_DEFINITION_FILE, { ...substitutions });
}

/** The events workflow's input for a stream record (an array of one), or undefined when the pipe's filters drop it. */
export function buildEventsInputOfRecord(event: StreamEvent): unknown[] | undefined {
  if (!BUILD_EVENTS_FILTERS.some((filter) => matchesPattern(filter as unknown as Pattern, event))) return undefined;
  return [applyInputTemplate(BUILD_EVENTS_INPUT_TEMPLATE, event)];
}
