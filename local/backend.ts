import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, type KeySchemaElement, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEY } from '../lambda/store/keys';
import { BUILD_EVENT_SOURCE, BUILD_EVENTS_RETRY_ATTEMPTS, buildEventsInputOfRecord, eventBusName, renderBuildEventsDefinition } from '../lib/build-events';
import { renderWorkflowDefinition } from '../lib/workflow-definition';
import { startDynamoDbLocal } from './dynamodb-local';
import { createLocalEventBus, type LocalEventBus } from './event-bus';
import { startS3Local } from './s3-local';
import { loadSeed, type Seed } from './seed';
import { type LocalStepFunctions, startLocalStepFunctions } from './step-functions';
import { type LocalPipe, type StreamPoller, startStreamPoller } from './stream-poller';
import { ensureTable } from './table';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:BuildWorkflow`;
export const LOCAL_EVENTS_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:BuildEventsWorkflow`;
/** The local event bus's name: the stack's for a stage named `local`. */
export const LOCAL_EVENT_BUS_NAME = eventBusName('local');

/**
 * What the handlers need around them outside Lambda: DynamoDB (an endpoint given, or DynamoDB
 * Local started here) with the table, and a Step Functions endpoint that runs the build workflow
 * in process. The local stack adds the HTTP server; `npm run invoke` calls one handler.
 */
export interface LocalBackendOptions {
  tableName: string;
  /** A running DynamoDB (Local); when unset, DynamoDB Local is started, in memory unless `dynamoDbPath`. */
  dynamoDbEndpoint?: string;
  dynamoDbPath?: string;
  /**
   * `create-and-seed`: create the table if missing and load `seed`; `require-existing`: the table
   * must exist already (a deployed or hand-made one: nothing is written). Default: create-and-seed.
   */
  table?: 'create-and-seed' | 'require-existing';
  seed?: Seed;
  /** Called once the table and seed exist (e.g. to add fixtures). */
  prepare?: (documentClient: DynamoDBDocumentClient) => Promise<void>;
  /**
   * `in-process` (default): the workflow runner and the stream poller that starts it (the local
   * EventBridge Pipe) run here; `elsewhere`: another process runs them against the same table
   * (e.g. a handlers-only process beside a long-lived backend).
   */
  workflow?: 'in-process' | 'elsewhere';
  /** Where the stream poller keeps its place; default: beside DynamoDB Local's data with `dynamoDbPath`, else in memory. */
  checkpointFile?: string;
  /** The JSONL file the local event bus appends build events to (`EVENTS_FILE`); in memory only when unset. */
  eventsFile?: string;
  /** A Step Functions endpoint to use as is (with `stateMachineArn`); when unset, the workflow runs in process. */
  stepFunctionsEndpoint?: string;
  stateMachineArn?: string;
  buildWaitSeconds: number;
  /** The client the workflow's DynamoDB tasks use (tests inject faults with it). */
  workflowDynamoDb?: DynamoDBClient;
  /** Shorter Retry intervals for tests. */
  retryIntervalMs?: number;
  /** Where the in-process workflow's log lines go (a failed execution's error). */
  log?: (line: Record<string, unknown>) => void;
  /** The content bucket's name. */
  contentBucket?: string;
  /** A running S3-compatible endpoint holding `contentBucket`; when unset, a local S3 server is started. */
  s3Endpoint?: string;
  /** Keep the local S3 server's objects in this folder (default: a temporary one). */
  s3Path?: string;
}

export const LOCAL_CONTENT_BUCKET = 'twilio-serverless-content';

export interface LocalBackend {
  /** The handlers' environment: set these before importing a handler. */
  env: {
    TABLE_NAME: string;
    DYNAMODB_ENDPOINT: string;
    STEPFUNCTIONS_ENDPOINT: string;
    STATE_MACHINE_ARN: string;
    CONTENT_BUCKET: string;
    S3_ENDPOINT: string;
  };
  dynamoDb: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  /** True when DynamoDB Local was started here (and is thrown away by `stop`). */
  ephemeral: boolean;
  /** The in-process workflow runner, when one was started here; its `drain` first waits for the stream poller to catch up. */
  stepFunctions: LocalStepFunctions | undefined;
  /** The stream poller that starts the workflow of each new build, when started here. */
  poller: StreamPoller | undefined;
  /** The local event bus the build events workflow puts to, with the poller (the events pipe's stand-in). */
  eventBus: LocalEventBus | undefined;
  stop(): Promise<void>;
}

export class LocalBackendError extends Error {
  override name = 'LocalBackendError';
}

/** DynamoDB Local takes any credentials; the SDK only needs some to sign with. */
export function useLocalCredentials(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_REGION ??= env.AWS_DEFAULT_REGION ?? LOCAL_REGION;
  if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
    env.AWS_ACCESS_KEY_ID = 'local';
    env.AWS_SECRET_ACCESS_KEY = 'local';
  }
}

/**
 * Throws a message a person can act on unless the table exists with the Builds table's keys.
 * `where` names the DynamoDB asked (an endpoint, a region); `hint` says what to do about a missing table.
 */
export async function requireBuildsTable(client: DynamoDBClient, tableName: string, where: string, hint = ''): Promise<void> {
  let keySchema: KeySchemaElement[];
  try {
    keySchema = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.KeySchema ?? [];
  } catch (error) {
    if (error instanceof ResourceNotFoundException) throw new LocalBackendError(`Table "${tableName}" does not exist in ${where}.${hint ? ` ${hint}` : ''}`);
    throw new LocalBackendError(`Cannot describe table "${tableName}" in ${where}: ${(error as Error).message || (error as Error).name}`);
  }
  const key = (type: string) => keySchema.find((element) => element.KeyType === type)?.AttributeName;
  if (key('HASH') !== TABLE_KEY.partitionKey || key('RANGE') !== TABLE_KEY.sortKey) {
    throw new LocalBackendError(
      `Table "${tableName}" in ${where} is not a Builds table: its key is ${key('HASH')}/${key('RANGE')}, expected ${TABLE_KEY.partitionKey}/${TABLE_KEY.sortKey}.`,
    );
  }
}

/** Starts what is missing of DynamoDB, the table and the workflow; `stop` ends what it started. */
export async function startLocalBackend(options: LocalBackendOptions): Promise<LocalBackend> {
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    let endpoint = options.dynamoDbEndpoint;
    const ephemeral = !endpoint;
    if (!endpoint) {
      const dynamoDbLocal = await startDynamoDbLocal({ path: options.dynamoDbPath });
      started.push(dynamoDbLocal);
      endpoint = dynamoDbLocal.endpoint;
    }
    useLocalCredentials();
    const dynamoDb = new DynamoDBClient({ endpoint, requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 } });
    started.push({ stop: async () => dynamoDb.destroy() });
    const documentClient = DynamoDBDocumentClient.from(dynamoDb, { marshallOptions: { removeUndefinedValues: true } });
    if ((options.table ?? 'create-and-seed') === 'create-and-seed') {
      await ensureTable(dynamoDb, options.tableName);
      if (options.seed) await loadSeed(documentClient, options.tableName, options.seed);
      await options.prepare?.(documentClient);
    } else {
      await requireBuildsTable(
        dynamoDb,
        options.tableName,
        `DynamoDB at DYNAMODB_ENDPOINT ${endpoint}`,
        `Create it and load a seed (\`npm run seed -- --file <seed.json> --table ${options.tableName}\`), or unset DYNAMODB_ENDPOINT to run against a throwaway DynamoDB Local.`,
      );
    }

    const contentBucket = options.contentBucket ?? LOCAL_CONTENT_BUCKET;
    let s3Endpoint = options.s3Endpoint;
    if (!s3Endpoint) {
      const s3Local = await startS3Local({ buckets: [contentBucket], directory: options.s3Path, accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local' });
      started.push(s3Local);
      s3Endpoint = s3Local.endpoint;
    }

    let stepFunctions: LocalStepFunctions | undefined;
    let poller: StreamPoller | undefined;
    let eventBus: LocalEventBus | undefined;
    let stepFunctionsEndpoint = options.stepFunctionsEndpoint ?? '';
    let stateMachineArn = options.stateMachineArn ?? '';
    if (options.workflow === 'elsewhere') {
      // Nothing to start: another process polls this table's stream.
    } else if (stepFunctionsEndpoint) {
      if (!stateMachineArn) throw new LocalBackendError('STEPFUNCTIONS_ENDPOINT is set, so STATE_MACHINE_ARN must name the state machine to start.');
    } else {
      stateMachineArn = LOCAL_STATE_MACHINE_ARN;
      stepFunctions = await startLocalStepFunctions({
        definition: renderWorkflowDefinition({ TableName: options.tableName, BuildWaitSeconds: String(options.buildWaitSeconds) }),
        stateMachineArn,
        dynamoDb: options.workflowDynamoDb ?? dynamoDb,
        retryIntervalMs: options.retryIntervalMs,
        log: options.log,
      });
      started.push(stepFunctions);
      stepFunctionsEndpoint = stepFunctions.endpoint;
      // The build events pipe's target: the events workflow, putting to the local bus.
      eventBus = createLocalEventBus({ name: LOCAL_EVENT_BUS_NAME, account: LOCAL_ACCOUNT, region: LOCAL_REGION, file: options.eventsFile });
      const eventsWorkflow = await startLocalStepFunctions({
        definition: renderBuildEventsDefinition({ TableName: options.tableName, EventBusName: eventBus.name, EventSource: BUILD_EVENT_SOURCE }),
        stateMachineArn: LOCAL_EVENTS_STATE_MACHINE_ARN,
        // Not workflowDynamoDb: the faults tests inject there are the build workflow's.
        dynamoDb,
        eventBus,
        retryIntervalMs: options.retryIntervalMs,
        log: options.log,
      });
      started.push(eventsWorkflow);
      // The local EventBridge Pipes, each its own reader of the table's stream with its own place,
      // as the two pipes are on AWS: the outbox starts the workflow of every new build; the events
      // pipe invokes the events workflow synchronously for each build's end and new deployment, and
      // never holds up a workflow start.
      const runner = stepFunctions;
      const startingPosition = (options.table ?? 'create-and-seed') === 'require-existing' ? 'LATEST' : 'TRIM_HORIZON';
      const checkpointFile =
        options.checkpointFile ?? (options.dynamoDbPath ? join(options.dynamoDbPath, `stream-checkpoint-${options.tableName}.json`) : undefined);
      const reader = { dynamoDb, endpoint, tableName: options.tableName, startingPosition, log: options.log } as const;
      const outbox = await startStreamPoller({ ...reader, start: (input, name) => void runner.start(input, name), checkpointFile });
      const events = await startStreamPoller({
        ...reader,
        start: () => undefined,
        pipes: [buildEventsPipe(eventsWorkflow)],
        checkpointFile: checkpointFile?.replace(/(\.json)?$/, '-build-events.json'),
      });
      poller = bothPipes(outbox, events);
      started.push(poller);
      const drainExecutions = runner.drain;
      runner.drain = async () => {
        await poller?.caughtUp();
        await drainExecutions();
        // The builds' ends are stream records too: their events are put once the poller has read them.
        await poller?.caughtUp();
      };
    }

    return {
      env: {
        TABLE_NAME: options.tableName,
        DYNAMODB_ENDPOINT: endpoint,
        STEPFUNCTIONS_ENDPOINT: stepFunctionsEndpoint,
        STATE_MACHINE_ARN: stateMachineArn,
        CONTENT_BUCKET: contentBucket,
        S3_ENDPOINT: s3Endpoint,
      },
      dynamoDb,
      documentClient,
      ephemeral,
      stepFunctions,
      poller,
      eventBus,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The local events pipe: what the stream poller plays for each record the events pipe's filters
 * keep, invoking the events workflow synchronously (REQUEST_RESPONSE, as the pipe on AWS does)
 * and failing the record when the execution fails, so that the poller retries it.
 */
export function buildEventsPipe(eventsWorkflow: LocalStepFunctions): LocalPipe {
  return {
    name: 'build-events',
    inputOf: buildEventsInputOfRecord,
    retryAttempts: BUILD_EVENTS_RETRY_ATTEMPTS,
    deliver: async (input) => {
      const execution = eventsWorkflow.start(input);
      await execution.done;
      if (execution.status === 'FAILED') throw new Error(`${execution.error}: ${execution.cause}`);
    },
  };
}

/** The outbox's reader and the events pipe's as one poller: started builds from the first, deliveries from the second. */
function bothPipes(outbox: StreamPoller, events: StreamPoller): StreamPoller {
  return {
    caughtUp: async () => {
      await Promise.all([outbox.caughtUp(), events.caughtUp()]);
    },
    get started() {
      return outbox.started;
    },
    get delivered() {
      return events.delivered;
    },
    stop: async () => {
      await Promise.all([outbox.stop(), events.stop()]);
    },
  };
}
