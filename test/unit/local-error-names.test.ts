import * as dynamodb from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { workflowInput } from '../../lambda/domain/workflow-input';
import { renderWorkflowDefinition } from '../../lib/workflow-definition';
import { STEP_FUNCTIONS_DYNAMODB_ERRORS, startLocalStepFunctions, stepFunctionsErrorName } from '../../local/step-functions';

const definition = renderWorkflowDefinition({ TableName: 'builds', BuildWaitSeconds: '0' });
const states = definition.States as Record<string, { Retry?: { ErrorEquals: string[] }[]; Catch?: { ErrorEquals: string[] }[] }>;

/** An error as SDK v3 throws it: an instance of the client's exception class of that name. */
function sdkError(name: string): Error {
  const ExceptionClass = (dynamodb as unknown as Record<string, new (options: object) => Error>)[name];
  expect(ExceptionClass, `@aws-sdk/client-dynamodb exports ${name}`).toBeDefined();
  return new ExceptionClass!({ message: `${name} for the test`, $metadata: {} });
}

describe("the local workflow runner names DynamoDB errors as Step Functions does (the AWS SDK for Java's class names)", () => {
  it.each(Object.entries(STEP_FUNCTIONS_DYNAMODB_ERRORS))('SDK v3 %s is DynamoDB.%s', (v3Name, javaName) => {
    expect(stepFunctionsErrorName(sdkError(v3Name))).toBe(`DynamoDB.${javaName}`);
  });

  it.each([
    [
      'an error without a class of its own (ValidationException)',
      Object.assign(new Error('One or more parameter values were invalid'), { name: 'ValidationException' }),
    ],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
  ])('%s is DynamoDB.AmazonDynamoDBException', (_what, error) => {
    expect(stepFunctionsErrorName(error)).toBe('DynamoDB.AmazonDynamoDBException');
  });

  it("can produce every DynamoDB error the definition's Retry and Catch name", () => {
    const named = Object.values(states).flatMap((state) => [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((rule) => rule.ErrorEquals));
    const dynamoDbErrors = new Set(named.filter((name) => name.startsWith('DynamoDB.')));
    expect(dynamoDbErrors.size).toBeGreaterThan(3);
    const produced = new Set([...Object.values(STEP_FUNCTIONS_DYNAMODB_ERRORS), 'AmazonDynamoDBException'].map((name) => `DynamoDB.${name}`));
    for (const name of dynamoDbErrors) expect(produced, name).toContain(name);
  });

  it.each(['InternalServerError', 'RequestLimitExceeded', 'ThrottlingException', 'ProvisionedThroughputExceededException'])(
    'retries %s thrown by a Task, as the definition says, and completes',
    async (v3Name) => {
      const calls: string[] = [];
      let failures = 2;
      const dynamoDb = {
        send: async (command: { input: { UpdateExpression?: string } }) => {
          calls.push(command.input.UpdateExpression ?? '');
          if (command.input.UpdateExpression?.includes(':completed') && failures-- > 0) throw sdkError(v3Name);
          return { $metadata: {} };
        },
      } as unknown as dynamodb.DynamoDBClient;
      const runner = await startLocalStepFunctions({ definition, stateMachineArn: 'arn:local', dynamoDb, retryIntervalMs: 1, log: () => {} });
      try {
        const input = workflowInput({ sid: 'ZB1', account_sid: 'AC1', service_sid: 'ZS1', runtime: 'node22', date_created: new Date().toISOString() });
        const execution = runner.start([input], 'ZB1');
        await execution.done;
        expect(execution.status).toBe('SUCCEEDED');
        expect(calls.filter((call) => call.includes(':completed'))).toHaveLength(3);
      } finally {
        await runner.stop();
      }
    },
  );
});
