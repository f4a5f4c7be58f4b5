import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { workflowInput } from './domain/workflow-input';
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

/**
 * Starts the build's workflow, in an execution named after the build SID. (On Express a retried
 * start may run it twice; the workflow's conditional steps make that harmless.)
 */
export async function startBuildWorkflow(stateMachineArn: string, build: BuildItem): Promise<void> {
  await stepFunctions.send(new StartExecutionCommand({ stateMachineArn, name: build.sid, input: JSON.stringify(workflowInput(build)) }));
}
