import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import type { LocalEventBus, PutEventsEntry } from './event-bus';

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

/**
 * Step Functions names a DynamoDB integration's error after the exception class of the AWS SDK
 * for Java (`DynamoDB.<class>`), and reports any error without a class of its own as
 * `DynamoDB.AmazonDynamoDBException`. SDK v3 names some of these classes differently
 * (`InternalServerError`, `RequestLimitExceeded`): this maps the name v3 throws to the one
 * Step Functions uses, so that the definition's Retry and Catch see locally what they see on AWS.
 */
export const STEP_FUNCTIONS_DYNAMODB_ERRORS: Readonly<Record<string, string>> = {
  ConditionalCheckFailedException: 'ConditionalCheckFailedException',
  InternalServerError: 'InternalServerErrorException',
  ItemCollectionSizeLimitExceededException: 'ItemCollectionSizeLimitExceededException',
  LimitExceededException: 'LimitExceededException',
  ProvisionedThroughputExceededException: 'ProvisionedThroughputExceededException',
  RequestLimitExceeded: 'RequestLimitExceededException',
  ResourceInUseException: 'ResourceInUseException',
  ResourceNotFoundException: 'ResourceNotFoundException',
  ThrottlingException: 'ThrottlingException',
  TransactionConflictException: 'TransactionConflictException',
};

/** The error name Step Functions gives a DynamoDB task's failure (see STEP_FUNCTIONS_DYNAMODB_ERRORS). */
export function stepFunctionsErrorName(error: unknown): string {
  const name = isUnreachable(error) ? undefined : STEP_FUNCTIONS_DYNAMODB_ERRORS[(error as Error).name];
  return `DynamoDB.${name ?? 'AmazonDynamoDBException'}`;
}

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
  /** The bus that `arn:aws:states:::events:putEvents` tasks put to (a definition with such a task needs one). */
  eventBus?: LocalEventBus;
  /** Shorter Retry intervals (milliseconds) for tests; the definition's own otherwise. */
  retryIntervalMs?: number;
  log?: (line: Record<string, unknown>) => void;
}

export interface LocalStepFunctions {
  endpoint: string;
  executions: Map<string, ExecutionRecord>;
  /** Starts an execution in process (the local stream poller's target, as the Pipe's is StartExecution). */
  start(input: unknown, name?: string): ExecutionRecord;
  /** The execution of that name once it has started (the stream poller starts it shortly after the build is written). */
  whenStarted(name: string, timeoutMs?: number): Promise<ExecutionRecord>;
  /** Resolves when every execution started so far has ended. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

const PUT_EVENTS_TASK = 'arn:aws:states:::events:putEvents';

/** Every state of a definition, those inside Map and Parallel states included (their names are unique within a definition). */
function allStates(definition: Record<string, unknown>): Array<[string, { Type: string; Resource?: string }]> {
  const found: Array<[string, { Type: string; Resource?: string }]> = [];
  const states = (definition.States ?? {}) as Record<string, Record<string, unknown> & { Type: string; Resource?: string }>;
  for (const [name, state] of Object.entries(states)) {
    found.push([name, state]);
    const nested = [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])].filter(Boolean) as Record<string, unknown>[];
    for (const child of nested) found.push(...allStates(child));
  }
  return found;
}

/**
 * Step Functions' optimized EventBridge integration against the local bus: a failed entry
 * fails the task with `EventBridge.FailedEntry`, and the state machine's ARN is added to each
 * entry's resources (on AWS the execution's ARN too).
 */
function putEventsHandler(eventBus: LocalEventBus, stateMachineArn: string): TaskHandler {
  return async (parameters) => {
    const entries = ((parameters as { Entries?: PutEventsEntry[] }).Entries ?? []).map((entry) => ({
      ...entry,
      Resources: [...(entry.Resources ?? []), stateMachineArn],
    }));
    const result = eventBus.putEvents(entries);
    if (result.FailedEntryCount > 0) {
      const failed = new Error(JSON.stringify(result.Entries));
      failed.name = 'EventBridge.FailedEntry';
      throw failed;
    }
    return result;
  };
}

/** Runs the optimized integration each Task state names: DynamoDB with Step Functions' error names (`DynamoDB.<Exception>`), EventBridge PutEvents on the local bus. */
function taskHandlers(options: LocalStepFunctionsOptions): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, state] of allStates(options.definition)) {
    if (state.Type !== 'Task') continue;
    if (state.Resource === PUT_EVENTS_TASK && options.eventBus) {
      handlers[name] = putEventsHandler(options.eventBus, options.stateMachineArn);
      continue;
    }
    const command = DYNAMODB_TASKS[state.Resource ?? ''];
    if (!command) throw new Error(`The local workflow runner cannot serve Task state ${name} (${state.Resource})`);
    handlers[name] = async (parameters) => {
      try {
        const { $metadata: _, ...output } = (await options.dynamoDb.send(command(parameters as never) as never)) as unknown as Record<string, unknown>;
        return output;
      } catch (error) {
        const named = new Error((error as Error).message);
        named.name = stepFunctionsErrorName(error);
        throw named;
      }
    };
  }
  return handlers;
}

/**
 * A local Step Functions endpoint: `StartExecution` over the AWS JSON protocol, each execution
 * run in process by aws-local-stepfunctions from the same definition the CDK stack deploys.
 * Express does not dedupe execution names: a name started twice runs twice (`executions` keeps the last).
 */
export async function startLocalStepFunctions(options: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  const stateMachine = new StateMachine(options.definition as never);
  const handlers = taskHandlers(options);
  const taskStates = Object.keys(handlers);
  const executions = new Map<string, ExecutionRecord>();
  const startWaiters = new Map<string, Array<(record: ExecutionRecord) => void>>();
  const whenStarted = (name: string, timeoutMs = 15_000): Promise<ExecutionRecord> => {
    const known = executions.get(name);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`No execution ${name} started within ${timeoutMs} ms`)), timeoutMs);
      const waiters = startWaiters.get(name) ?? [];
      waiters.push((record) => {
        clearTimeout(timer);
        resolve(record);
      });
      startWaiters.set(name, waiters);
    });
  };
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));

  function startExecution(request: { stateMachineArn?: string; name?: string; input?: string }) {
    if (request.stateMachineArn !== options.stateMachineArn) {
      return { status: 400, body: { __type: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${request.stateMachineArn}'` } };
    }
    const { executionArn, startDate } = start(JSON.parse(request.input ?? '{}') as unknown, request.name);
    return { status: 200, body: { executionArn, startDate: startDate.getTime() / 1000 } };
  }

  /** Runs one execution of the definition (Express: a name given twice runs twice, as on AWS). */
  function start(input: unknown, executionName?: string): ExecutionRecord & { executionArn: string; startDate: Date } {
    const name = executionName ?? randomUUID();
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
    for (const resolve of startWaiters.get(name) ?? []) resolve(record);
    startWaiters.delete(name);
    return Object.assign(record, { executionArn, startDate });
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
    start,
    whenStarted,
    drain,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
