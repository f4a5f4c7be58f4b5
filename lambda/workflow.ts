import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { hourOf, rateWindowExpiry } from './builds/guards';
import type { BuildItem } from './store/items';

/**
 * Step Functions, reached at `STEPFUNCTIONS_ENDPOINT` on the local stack (which runs the same
 * definition in process) and at the regional endpoint on AWS.
 */
const stepFunctions = new SFNClient({
  ...(process.env.STEPFUNCTIONS_ENDPOINT ? { endpoint: process.env.STEPFUNCTIONS_ENDPOINT } : {}),
  // Bounded, so that a create always answers well within the function's timeout.
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  maxAttempts: 2,
});

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

/**
 * Starts the build's workflow, in an execution named after the build SID. (On Express a retried
 * start may run it twice; the workflow's conditional steps make that harmless.)
 */
export async function startBuildWorkflow(stateMachineArn: string, build: BuildItem): Promise<void> {
  const hour = hourOf(new Date(build.date_created));
  const input: BuildWorkflowInput = {
    sid: build.sid,
    account_sid: build.account_sid,
    service_sid: build.service_sid,
    runtime: build.runtime,
    count_hour: hour,
    count_expires_at: String(rateWindowExpiry(hour)),
  };
  await stepFunctions.send(new StartExecutionCommand({ stateMachineArn, name: build.sid, input: JSON.stringify(input) }));
}
