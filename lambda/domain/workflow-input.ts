import type { Build } from './model';
import { buildCount } from './rate-limit';

/**
 * The execution input: what the workflow's states read with JSONPath. The table's stream starts
 * the workflow with it (lib/build-outbox.ts maps a new build item to it, for the EventBridge Pipe
 * and the local stream poller alike), so every field is a string: the text a Pipes input template
 * makes of the item's attributes.
 */
export interface BuildWorkflowInput {
  sid: string;
  account_sid: string;
  service_sid: string;
  runtime: string;
  /** The clock hour (since the epoch) the build counts in, for the builds-per-hour limit. */
  count_hour: string;
  /** When that hour's counter may expire (epoch seconds, as a DynamoDB number string). */
  count_expires_at: string;
}

/** The execution input of a build's workflow. */
export function workflowInput(build: Pick<Build, 'sid' | 'account_sid' | 'service_sid' | 'runtime' | 'date_created'>): BuildWorkflowInput {
  const count = buildCount(new Date(build.date_created));
  return {
    sid: build.sid,
    account_sid: build.account_sid,
    service_sid: build.service_sid,
    runtime: build.runtime,
    count_hour: String(count.count_hour),
    count_expires_at: String(count.count_expires_at),
  };
}
