import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** One PutEvents entry, as the events workflow's `events:putEvents` task passes it (Detail as an object or its JSON text). */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: unknown;
  EventBusName?: string;
  Resources?: string[];
}

/** An event as EventBridge hands it to a rule's target (what the stack's archive log group receives on AWS). */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: Array<{ EventId: string } | { ErrorCode: string; ErrorMessage: string }>;
}

export interface LocalEventBusOptions {
  name: string;
  account: string;
  region: string;
  /** Append every event to this JSONL file (one event a line); in memory only when unset. */
  file?: string;
}

export interface LocalEventBus {
  readonly name: string;
  readonly file: string | undefined;
  /** Every event put so far, in order. */
  readonly events: readonly BusEvent[];
  /** EventBridge's PutEvents: each entry is checked as EventBridge checks it, and a failed entry is reported, not thrown. */
  putEvents(entries: readonly PutEventsEntry[]): PutEventsResult;
}

/** EventBridge's event time: ISO 8601 to the second. */
const eventTime = (now: Date): string => now.toISOString().replace(/\.\d{3}Z$/, 'Z');

function detailOf(detail: unknown): Record<string, unknown> | undefined {
  const value = typeof detail === 'string' ? (JSON.parse(detail) as unknown) : detail;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * The local stand-in for the stack's EventBridge bus: PutEvents records each event, in the
 * shape a rule's target receives, in memory and (with `file`) as a line of a JSONL file, so
 * that `tail -f` shows them as they come, as the archive log group does on AWS.
 */
export function createLocalEventBus(options: LocalEventBusOptions): LocalEventBus {
  const events: BusEvent[] = [];
  if (options.file) mkdirSync(dirname(options.file), { recursive: true });
  function put(entry: PutEventsEntry): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    if ((entry.EventBusName ?? 'default') !== options.name) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` };
    }
    let detail: Record<string, unknown> | undefined;
    try {
      detail = detailOf(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (!entry.Source || !entry.DetailType || !detail) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and a JSON object Detail are required.' };
    }
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: options.account,
      time: eventTime(new Date()),
      region: options.region,
      resources: entry.Resources ?? [],
      detail,
    };
    events.push(event);
    // Synchronous: lines stay in the order the events were put.
    if (options.file) appendFileSync(options.file, `${JSON.stringify(event)}\n`);
    return { EventId: event.id };
  }
  return {
    name: options.name,
    file: options.file,
    events,
    putEvents(entries) {
      const results = entries.map(put);
      return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
    },
  };
}
