import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FALLBACK_ENTRY, ROUTES } from '../lambda/routes';
import { startLocalBackend, useLocalCredentials } from './backend';
import type { LocalEventBus } from './event-bus';
import { createApiServer, type LambdaHttpHandler } from './http-adapter';
import type { Seed } from './seed';
import type { LocalStepFunctions } from './step-functions';
import type { StreamPoller } from './stream-poller';

export interface LocalStackOptions {
  /** HTTP port of the API; 0 picks a free one. */
  port?: number;
  host?: string;
  seed: Seed;
  buildWaitSeconds?: number;
  tableName?: string;
  /** An already running DynamoDB Local; when unset, one is started in memory (or at `dynamoDbPath`). */
  dynamoDbEndpoint?: string;
  dynamoDbPath?: string;
  /** Keep the local S3 server's objects in this folder (default: a temporary folder, removed on stop). */
  s3Path?: string;
  /** The client the workflow's DynamoDB tasks use (tests inject faults with it). */
  workflowDynamoDb?: DynamoDBClient;
  retryIntervalMs?: number;
  /** Where the stream poller keeps its place (default: beside DynamoDB Local's data with `dynamoDbPath`, else in memory). */
  checkpointFile?: string;
  /** The JSONL file build events are appended to (default: in memory only). */
  eventsFile?: string;
  /**
   * `in-process` (default): the workflow runner and the stream poller run in this process beside
   * the handlers; `elsewhere`: another process polls the table's stream (the handlers only write).
   */
  workflow?: 'in-process' | 'elsewhere';
  /** A running S3-compatible endpoint holding the content bucket; when unset, a local S3 server is started. */
  s3Endpoint?: string;
  /** Handler configuration (PUBLIC_BASE_URL, CORS_ALLOWED_ORIGINS, …), as Lambda environment variables. */
  env?: Record<string, string>;
}

export interface LocalStack {
  baseUrl: string;
  tableName: string;
  dynamoDbEndpoint: string;
  stepFunctionsEndpoint: string;
  stateMachineArn: string;
  /** The S3(-compatible) endpoint holding version content, and its bucket. */
  s3Endpoint: string;
  contentBucket: string;
  dynamoDb: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  /** The in-process workflow runner (absent with `workflow: 'elsewhere'`). */
  stepFunctions: LocalStepFunctions;
  /** The stream poller that starts each new build's workflow (absent with `workflow: 'elsewhere'`). */
  poller: StreamPoller | undefined;
  /** The local event bus of build events (absent with `workflow: 'elsewhere'`). */
  eventBus: LocalEventBus | undefined;
  stop(): Promise<void>;
}

/**
 * The whole API on one machine: DynamoDB Local, the table and seed, the workflow definition run
 * in process behind a local Step Functions endpoint, and the same Lambda handlers behind an
 * HTTP server that speaks API Gateway's v2 events. One stack per process: the handlers read
 * their configuration from the environment when first imported, as on Lambda.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const tableName = options.tableName ?? 'twilio-serverless-builds';
  useLocalCredentials();
  const backend = await startLocalBackend({
    tableName,
    dynamoDbEndpoint: options.dynamoDbEndpoint,
    dynamoDbPath: options.dynamoDbPath,
    s3Path: options.s3Path,
    s3Endpoint: options.s3Endpoint,
    checkpointFile: options.checkpointFile,
    eventsFile: options.eventsFile,
    workflow: options.workflow,
    seed: options.seed,
    buildWaitSeconds: options.buildWaitSeconds ?? 2,
    workflowDynamoDb: options.workflowDynamoDb,
    retryIntervalMs: options.retryIntervalMs,
  });
  try {
    Object.assign(process.env, options.env, backend.env);
    const handlers: Record<string, LambdaHttpHandler> = {};
    for (const entry of new Set([...ROUTES.map((route) => route.entry), FALLBACK_ENTRY])) {
      const module = (await import(`../lambda/handlers/${entry}.ts`)) as { handler: LambdaHttpHandler };
      handlers[entry] = module.handler;
    }

    const server = createApiServer(handlers);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new Error(`Port ${options.port} is already in use: stop what uses it or set PORT to another port.`) : error),
      );
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return {
      baseUrl: `http://${options.host ?? '127.0.0.1'}:${port}`,
      tableName,
      dynamoDbEndpoint: backend.env.DYNAMODB_ENDPOINT,
      stepFunctionsEndpoint: backend.env.STEPFUNCTIONS_ENDPOINT,
      stateMachineArn: backend.env.STATE_MACHINE_ARN,
      s3Endpoint: backend.env.S3_ENDPOINT,
      contentBucket: backend.env.CONTENT_BUCKET,
      dynamoDb: backend.dynamoDb,
      documentClient: backend.documentClient,
      stepFunctions: backend.stepFunctions!,
      poller: backend.poller,
      eventBus: backend.eventBus,
      stop: async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await backend.stop();
      },
    };
  } catch (error) {
    await backend.stop();
    throw error;
  }
}
