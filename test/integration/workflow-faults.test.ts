import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { keys } from '../../lambda/store/keys';
import type { LocalStack } from '../../local/stack';
import { FUNCTION_VERSIONS, SERVICE } from '../support/fixtures';
import { createBuild, startTestStack } from '../support/stack';

/**
 * The workflow's DynamoDB tasks go through this client; a middleware throttles the UpdateItem
 * calls that `throttle` selects, as DynamoDB would under load.
 */
let throttle: (input: { UpdateExpression?: string }) => boolean = () => false;
const calls: string[] = [];
const workflowDynamoDb = new DynamoDBClient({ endpoint: inject('dynamoDbEndpoint'), maxAttempts: 1 });
workflowDynamoDb.middlewareStack.add(
  (next, context) => async (args) => {
    const throttled = context.commandName === 'UpdateItemCommand' && throttle(args.input as { UpdateExpression?: string });
    calls.push(`${context.commandName}${throttled ? ':throttled' : ''}`);
    if (throttled) {
      const error = new Error('Rate of requests exceeds the allowed throughput.');
      error.name = 'ProvisionedThroughputExceededException';
      throw error;
    }
    return next(args);
  },
  { step: 'initialize', name: 'throttleUpdates' },
);

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({ workflowDynamoDb, retryIntervalMs: 5 });
});
afterAll(async () => {
  await stack?.stop();
  workflowDynamoDb.destroy();
});
beforeEach(() => {
  calls.length = 0;
});

async function runBuild() {
  const response = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! });
  expect(response.status).toBe(201);
  const { sid } = await response.json();
  const execution = await stack.stepFunctions.whenStarted(sid);
  await execution.done;
  const item = (await stack.documentClient.send(new GetCommand({ TableName: stack.tableName, Key: keys.build(SERVICE, sid) }))).Item;
  return { execution, item };
}

describe('the workflow under DynamoDB faults', () => {
  it('retries a throttled UpdateItem and completes the build', async () => {
    let throttled = 0;
    throttle = (input) => input.UpdateExpression?.includes(':completed') === true && throttled++ < 2;
    const { execution, item } = await runBuild();
    expect(calls.filter((call) => call === 'UpdateItemCommand:throttled')).toHaveLength(2);
    expect(execution.status).toBe('SUCCEEDED');
    expect(item?.status).toBe('completed');
  });

  it('ends the build failed, never stuck in building, once retries are exhausted', async () => {
    throttle = (input) => input.UpdateExpression?.includes(':completed') === true;
    const { execution, item } = await runBuild();
    const completeAttempts = calls.filter((call) => call === 'UpdateItemCommand:throttled').length;
    expect(completeAttempts).toBe(9); // the first try and MaxAttempts (8) retries
    expect(execution).toMatchObject({ status: 'FAILED', error: 'BuildFailed' });
    expect(item).toMatchObject({ status: 'failed', error_code: 20500 });
  });
});
