/**
 * Phase 4 (the floor side): the least a create can do over HTTP in this design, with no framework.
 * A node:http server that, per request, reads the body, makes exactly the requests the create
 * handler makes — one BatchGetItem of the same seven keys (the account, the service, the two
 * function and two asset versions of the create form, the account's build count of the hour) and
 * one conditional PutItem (`attribute_not_exists(PK)`) of a build item built by the same code
 * (`newBuild` of lambda/domain/build.ts, from the versions the read found) — and answers 201 with
 * the item as JSON. No parsing of the form, no authentication, no validation, no rendering.
 *
 * The same process layout as the local stack (phases/http-stack.ts): its own table with the same
 * seed on the run's DynamoDB Local, and the local backend's stream poller and workflow runner in
 * this process (`startLocalBackend`, as `startLocalStack` starts them), so every build written here
 * is started from the table's stream and completed by the same workflow, on this event loop, as
 * the stack's are on its own.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { newBuild } from '../../lambda/domain/build';
import type { AssetVersion, FunctionVersion } from '../../lambda/domain/model';
import { DYNAMODB_CLIENT_OPTIONS } from '../../lambda/store/client';
import { type ItemKey, keys, TABLE_KEY } from '../../lambda/store/keys';
import { startLocalBackend } from '../../local/backend';
import { dynamoDbEndpoint, fail, onRequest, report } from '../lib/ipc';
import { ACCOUNT, ASSET_VERSIONS, benchSeed, createContextKeys, FUNCTION_VERSIONS, SERVICE } from '../lib/seed';

export interface HttpFloorReady {
  baseUrl: string;
  /** Keys of the floor's BatchGetItem (the create's, counted here). */
  batchGetKeys: number;
}

async function main(): Promise<void> {
  const buildWaitSeconds = Number(process.env.BENCH_HTTP_BUILD_WAIT_SECONDS ?? 1);
  const tableName = `bench-floor-${randomUUID()}`;
  const backend = await startLocalBackend({ tableName, dynamoDbEndpoint: dynamoDbEndpoint(), seed: benchSeed, buildWaitSeconds });
  // Configured as lambda/store/client.ts configures the handler's client.
  const client = new DynamoDBClient({
    endpoint: dynamoDbEndpoint(),
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...DYNAMODB_CLIENT_OPTIONS,
  });
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  async function create(): Promise<string> {
    const now = new Date();
    const found = await documents.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: createContextKeys(now) } } }));
    const items = found.Responses?.[tableName] ?? [];
    const bySortKey = new Map(items.map((item) => [item[TABLE_KEY.sortKey] as string, item]));
    const versions = <T>(sids: string[], keyOf: (serviceSid: string, sid: string) => ItemKey) => sids.map((sid) => bySortKey.get(keyOf(SERVICE, sid).SK) as T);
    const build = newBuild({
      accountSid: ACCOUNT.sid,
      serviceSid: SERVICE,
      functionVersions: versions<FunctionVersion>(FUNCTION_VERSIONS, keys.functionVersion),
      assetVersions: versions<AssetVersion>(ASSET_VERSIONS, keys.assetVersion),
      dependencies: [
        { name: 'twilio', version: '5.3.0' },
        { name: '@twilio/runtime-handler', version: '2.0.0' },
      ],
      requestedRuntime: 'node22',
      lastCompletedRuntime: undefined,
      ttlSeconds: 86_400,
      now,
    });
    const item = { ...keys.build(SERVICE, build.sid), ...build };
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
      }),
    );
    return JSON.stringify(item);
  }

  let failures = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      create().then(
        (body) => {
          response.writeHead(201, { 'Content-Type': 'application/json' });
          response.end(body);
        },
        (error: Error) => {
          if (failures++ === 0) console.error(`floor create failed: ${error.name}: ${error.message}`);
          response.writeHead(500, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify({ message: error.name }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  onRequest('drain', async () => {
    const started = performance.now();
    await backend.stepFunctions!.drain();
    await report('drained', { drainMs: performance.now() - started, executionLagMs: [], failedExecutions: 0 });
  });
  onRequest('stop', async () => {
    server.close();
    server.closeAllConnections();
    client.destroy();
    await backend.stop();
    process.exit(0);
  });
  const ready: HttpFloorReady = { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, batchGetKeys: createContextKeys(new Date()).length };
  await report('ready', ready);
}

main().catch(fail);
