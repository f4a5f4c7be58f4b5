import { BUILD_SORT_PREFIX, TABLE_KEY } from '../lambda/store/keys';

/**
 * The outbox: a build item is the one record that its workflow must run for. The table's stream
 * carries every new item; this is the one definition of which stream records start a workflow
 * and with what input. On AWS an EventBridge Pipe applies it (lib/builds-stack.ts: the filter
 * as the pipe's FilterCriteria, the template as its target's InputTemplate); locally the stream
 * poller of the local stack (local/stream-poller.ts) applies the same two values with the
 * functions below, which implement the subset of EventBridge's pattern and template syntax they use.
 */

/** EventBridge event pattern: an inserted item whose sort key begins with `BUILD#`. */
export const BUILD_INSERT_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { [TABLE_KEY.sortKey]: { S: [{ prefix: BUILD_SORT_PREFIX }] } } },
} as const;

/**
 * The Pipe's input template: the workflow input (lambda/domain/workflow-input.ts) from the new
 * image. Every value is a string (EventBridge substitutes a quoted placeholder with the text of a
 * string; a DynamoDB number arrives as the string of its digits).
 */
export const WORKFLOW_INPUT_TEMPLATE = `{
  "sid": "<$.dynamodb.NewImage.sid.S>",
  "account_sid": "<$.dynamodb.NewImage.account_sid.S>",
  "service_sid": "<$.dynamodb.NewImage.service_sid.S>",
  "runtime": "<$.dynamodb.NewImage.runtime.S>",
  "count_hour": "<$.dynamodb.NewImage.count_hour.N>",
  "count_expires_at": "<$.dynamodb.NewImage.count_expires_at.N>"
}`;

/**
 * Pipes hands a Step Functions target its batch as a JSON array, even a batch of one: the
 * pipe's batch size is 1 and the workflow's first state takes the one element (`$[0]`).
 */
export const PIPE_BATCH_SIZE = 1;

/** An EventBridge event pattern of exact values and `prefix` matchers. */
export type Pattern = { readonly [key: string]: Pattern | readonly (string | { readonly prefix: string })[] };

/** Whether an event matches an EventBridge pattern of exact values and `prefix` matchers (what BUILD_INSERT_FILTER uses). */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  return Object.entries(pattern).every(([key, rule]) => {
    const value = (event as Record<string, unknown>)[key];
    if (!Array.isArray(rule)) return matchesPattern(rule as Pattern, value);
    return (rule as readonly (string | { prefix: string })[]).some((allowed) =>
      typeof allowed === 'string' ? value === allowed : typeof value === 'string' && value.startsWith(allowed.prefix),
    );
  });
}

/** The value at a `$.a.b.c` path (dot notation only, what WORKFLOW_INPUT_TEMPLATE uses). */
function valueAt(event: unknown, path: string): unknown {
  let value: unknown = event;
  for (const part of path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

/**
 * Applies a Pipes input template to one event: a placeholder inside quotes becomes the text of
 * the value (JSON-escaped), one outside quotes the value as JSON. A missing value fails, as a
 * record the pipe cannot transform does.
 */
export function applyInputTemplate(template: string, event: unknown): unknown {
  const text = template.replace(/("?)<(\$[^>]*)>("?)/g, (_match, open: string, path: string, close: string) => {
    const value = valueAt(event, path);
    if (value === undefined) throw new Error(`The input template's ${path} is not in the event`);
    if (open && close) return JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value));
    return `${open}${JSON.stringify(value)}${close}`;
  });
  return JSON.parse(text);
}

/** A DynamoDB stream record as Pipes hands it to the filter and the template (the Lambda event record shape). */
export interface StreamEvent {
  eventID?: string;
  eventName?: string;
  eventSource?: string;
  eventSourceARN?: string;
  dynamodb?: { Keys?: Record<string, unknown>; NewImage?: Record<string, unknown>; OldImage?: Record<string, unknown>; SequenceNumber?: string };
}

/** The input of the workflow for a stream record, or undefined when the record is not a new build. */
export function workflowInputOfRecord(event: StreamEvent): unknown[] | undefined {
  if (!matchesPattern(BUILD_INSERT_FILTER as unknown as Pattern, event)) return undefined;
  return [applyInputTemplate(WORKFLOW_INPUT_TEMPLATE, event)];
}
