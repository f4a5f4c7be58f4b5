import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { renderWorkflowDefinition } from '../lib/workflow-definition';
import { FALLBACK_ENTRY, ROUTES } from '../lambda/routes';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { createApiServer, type LambdaHttpHandler } from './http-adapter';
import { loadSeed, type Seed } from './seed';
import { startLocalStepFunctions, type LocalStepFunctions } from './step-functions';
import { ensureTable } from './table';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:000000000000:stateMachine:BuildWorkflow`;

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
  /** The client the workflow's DynamoDB tasks use (tests inject faults with it). */
  workflowDynamoDb?: DynamoDBClient;
  retryIntervalMs?: number;
  /** Handler configuration (PUBLIC_BASE_URL, CORS_ALLOWED_ORIGINS, …), as Lambda environment variables. */
  env?: Record<string, string>;
}

export interface LocalStack {
  baseUrl: string;
  tableName: string;
  dynamoDbEndpoint: string;
  dynamoDb: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  stepFunctions: LocalStepFunctions;
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
  const buildWaitSeconds = options.buildWaitSeconds ?? 2;
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    let dynamoDbEndpoint = options.dynamoDbEndpoint;
    if (!dynamoDbEndpoint) {
      const dynamoDbLocal: DynamoDbLocal = await startDynamoDbLocal({ path: options.dynamoDbPath });
      started.push(dynamoDbLocal);
      dynamoDbEndpoint = dynamoDbLocal.endpoint;
    }
    // DynamoDB Local accepts any credentials; the SDK only needs some to sign with.
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    });
    const dynamoDb = new DynamoDBClient({ endpoint: dynamoDbEndpoint, region: LOCAL_REGION, requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 } });
    const documentClient = DynamoDBDocumentClient.from(dynamoDb, { marshallOptions: { removeUndefinedValues: true } });
    started.push({ stop: async () => dynamoDb.destroy() });
    await ensureTable(dynamoDb, tableName);
    await loadSeed(documentClient, tableName, options.seed);

    const stepFunctions = await startLocalStepFunctions({
      definition: renderWorkflowDefinition({ TableName: tableName, BuildWaitSeconds: String(buildWaitSeconds) }),
      stateMachineArn: LOCAL_STATE_MACHINE_ARN,
      dynamoDb: options.workflowDynamoDb ?? dynamoDb,
      retryIntervalMs: options.retryIntervalMs,
    });
    started.push(stepFunctions);

    Object.assign(process.env, {
      ...options.env,
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: dynamoDbEndpoint,
      STEPFUNCTIONS_ENDPOINT: stepFunctions.endpoint,
      STATE_MACHINE_ARN: LOCAL_STATE_MACHINE_ARN,
    });
    const handlers: Record<string, LambdaHttpHandler> = {};
    for (const entry of [...ROUTES.map((route) => route.entry), FALLBACK_ENTRY]) {
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
    started.push({
      stop: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    });
    const { port } = server.address() as AddressInfo;
    return {
      baseUrl: `http://${options.host ?? '127.0.0.1'}:${port}`,
      tableName,
      dynamoDbEndpoint,
      dynamoDb,
      documentClient,
      stepFunctions,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
