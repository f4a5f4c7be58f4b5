import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';

/** Step Functions' optimized DynamoDB integrations, served against the given client. */
const DYNAMODB_TASKS: Record<string, (parameters: never) => { input: unknown }> = {
  'arn:aws:states:::dynamodb:updateItem': (parameters) => new UpdateItemCommand(parameters),
  'arn:aws:states:::dynamodb:getItem': (parameters) => new GetItemCommand(parameters),
  'arn:aws:states:::dynamodb:putItem': (parameters) => new PutItemCommand(parameters),
  'arn:aws:states:::dynamodb:deleteItem': (parameters) => new DeleteItemCommand(parameters),
};

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED']);

/**
 * DynamoDB could not be reached at all. Step Functions reports service failures without a
 * specific exception as `DynamoDB.AmazonDynamoDBException`; a local connection error is that.
 */
const isUnreachable = (error: unknown): boolean => NETWORK_ERRORS.has((error as { code?: string }).code ?? '') || (error as Error).name === 'TimeoutError';

type TaskHandler = (parameters: unknown) => Promise<unknown>;

export interface ExecutionRecord {
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  error?: string;
  cause?: string;
  done: Promise<void>;
}

export interface LocalStepFunctionsOptions {
  definition: Record<string, unknown>;
  stateMachineArn: string;
  dynamoDb: DynamoDBClient;
  /** Shorter Retry intervals (milliseconds) for tests; the definition's own otherwise. */
  retryIntervalMs?: number;
  log?: (line: Record<string, unknown>) => void;
}

export interface LocalStepFunctions {
  endpoint: string;
  executions: Map<string, ExecutionRecord>;
  /** Resolves when every execution started so far has ended. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the optimized integration a Task state names, with Step Functions' error names (`DynamoDB.<Exception>`). */
function taskHandlers(definition: Record<string, unknown>, dynamoDb: DynamoDBClient): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  const states = definition.States as Record<string, { Type: string; Resource?: string }>;
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    const command = DYNAMODB_TASKS[state.Resource ?? ''];
    if (!command) throw new Error(`The local workflow runner cannot serve Task state ${name} (${state.Resource})`);
    handlers[name] = async (parameters) => {
      try {
        const { $metadata: _, ...output } = (await dynamoDb.send(command(parameters as never) as never)) as unknown as Record<string, unknown>;
        return output;
      } catch (error) {
        const named = new Error((error as Error).message);
        named.name = `DynamoDB.${isUnreachable(error) ? 'AmazonDynamoDBException' : (error as Error).name}`;
        throw named;
      }
    };
  }
  return handlers;
}

/**
 * A local Step Functions endpoint: `StartExecution` over the AWS JSON protocol, each execution
 * run in process by aws-local-stepfunctions from the same definition the CDK stack deploys.
 * Execution names are unique, as on AWS (`ExecutionAlreadyExists`).
 */
export async function startLocalStepFunctions(options: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  const stateMachine = new StateMachine(options.definition as never);
  const handlers = taskHandlers(options.definition, options.dynamoDb);
  const taskStates = Object.keys(handlers);
  const executions = new Map<string, ExecutionRecord>();
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));

  function startExecution(request: { stateMachineArn?: string; name?: string; input?: string }) {
    if (request.stateMachineArn !== options.stateMachineArn) {
      return { status: 400, body: { __type: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${request.stateMachineArn}'` } };
    }
    const name = request.name ?? randomUUID();
    if (executions.has(name)) {
      return { status: 400, body: { __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${name}'` } };
    }
    const input = JSON.parse(request.input ?? '{}') as unknown;
    const executionArn = `${options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const startDate = new Date();
    const execution = stateMachine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(options.retryIntervalMs === undefined
          ? {}
          : { retryIntervalOverrides: Object.fromEntries(taskStates.map((state) => [state, options.retryIntervalMs as number])) }),
      },
      context: {
        Execution: { Id: executionArn, Name: name, Input: input as never, StartTime: startDate.toISOString() },
        // Read when each state's Parameters are resolved, like Step Functions' own $$.State.EnteredTime.
        State: {
          get EnteredTime() {
            return new Date().toISOString();
          },
        },
      },
    });
    const record: ExecutionRecord = {
      name,
      status: 'RUNNING',
      done: execution.result.then(
        () => {
          record.status = 'SUCCEEDED';
        },
        (error: Error & { cause?: { name?: string; message?: string } }) => {
          record.status = 'FAILED';
          record.error = error.cause?.name ?? error.name;
          record.cause = error.cause?.message ?? error.message;
          log({ level: 'ERROR', message: 'execution failed', execution: name, error: record.error, cause: record.cause });
        },
      ),
    };
    executions.set(name, record);
    return { status: 200, body: { executionArn, startDate: startDate.getTime() / 1000 } };
  }

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      let result: { status: number; body: unknown };
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
        result =
          target === 'AWSStepFunctions.StartExecution'
            ? startExecution(body)
            : { status: 400, body: { __type: 'UnknownOperationException', message: `${target} is not served locally` } };
      } catch (error) {
        result = { status: 400, body: { __type: 'InvalidExecutionInput', message: (error as Error).message } };
      }
      response.writeHead(result.status, { 'Content-Type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const drain = async () => {
    await Promise.all([...executions.values()].map((execution) => execution.done));
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    executions,
    drain,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
