/**
 * The largest version content an upload takes by default: 4,500,000 bytes. A Lambda invocation
 * carries at most 6 MB, and a binary body arrives base64-encoded (4/3 larger) with the multipart
 * framing and the event around it, so about 4.5 MB of content is what really arrives.
 */
export const DEFAULT_MAX_CONTENT_BYTES = 4_500_000;

/**
 * The domain environments' domain names end in when none is configured. `localhost`: every name
 * under it resolves to this machine, so local domain names are usable as they are.
 */
export const DEFAULT_FUNCTIONS_DOMAIN = 'localhost';
