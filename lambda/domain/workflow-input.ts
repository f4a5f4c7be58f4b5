import type { BuildItem } from '../store/items';
import { hourOf, rateWindowExpiry } from './guards';

/** The execution input: what the workflow's states read with JSONPath. */
export interface BuildWorkflowInput {
  sid: string;
  account_sid: string;
  service_sid: string;
  runtime: string;
  /** The clock hour (since the epoch) the build counts in, for the builds-per-hour limit. */
  count_hour: number;
  /** When that hour's counter may expire (epoch seconds, as a DynamoDB number string). */
  count_expires_at: string;
}

/** The execution input of a build's workflow. */
export function workflowInput(build: Pick<BuildItem, 'sid' | 'account_sid' | 'service_sid' | 'runtime' | 'date_created'>): BuildWorkflowInput {
  const hour = hourOf(new Date(build.date_created));
  return {
    sid: build.sid,
    account_sid: build.account_sid,
    service_sid: build.service_sid,
    runtime: build.runtime,
    count_hour: hour,
    count_expires_at: String(rateWindowExpiry(hour)),
  };
}
