import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
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
}

/**
 * Starts the build's workflow. The execution is named after the build SID, so a retried start
 * can never run the same build twice.
 */
export async function startBuildWorkflow(stateMachineArn: string, build: BuildItem): Promise<void> {
  const input: BuildWorkflowInput = {
    sid: build.sid,
    account_sid: build.account_sid,
    service_sid: build.service_sid,
    runtime: build.runtime,
  };
  await stepFunctions.send(new StartExecutionCommand({ stateMachineArn, name: build.sid, input: JSON.stringify(input) }));
}
