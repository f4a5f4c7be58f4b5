/**
 * Phase 4 (the floor side): the least a create can do over HTTP in this design, no framework. Per request exactly the
 * create handler's requests — one BatchGetItem of the same seven keys, one conditional PutItem of a build built by the same
 * code (`newBuild`) — then 201 with the item; no form parsing, authentication, validation or rendering. In the stack's
 * process layout: its own seeded table on the run's DynamoDB Local, the stream poller and workflow runner in this process.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { newBuild } from '../../lambda/domain/build';
import type { AssetVersion, FunctionVersion } from '../../lambda/domain/model';
import { DYNAMODB_CLIENT_OPTIONS } from '../../lambda/store/client';
import { type ItemKey, keys, TABLE_KEY } from '../../lambda/store/keys';
import { startLocalBackend } from '../../local/backend';
import { dynamoDbEndpoint, fail, onRequest, report, serveCreates } from '../lib/ipc';
import { ACCOUNT, ASSET_VERSIONS, benchSeed, createContextKeys, DEPENDENCIES, FUNCTION_VERSIONS, SERVICE } from '../lib/seed';

async function main(): Promise<void> {
  const buildWaitSeconds = Number(process.env.BENCH_HTTP_BUILD_WAIT_SECONDS ?? 1);
  const tableName = `bench-floor-${randomUUID()}`;
  const backend = await startLocalBackend({ tableName, dynamoDbEndpoint: dynamoDbEndpoint(), seed: benchSeed, buildWaitSeconds });
  // Configured as lambda/store/client.ts configures the handler's client.
  const client = new DynamoDBClient({ endpoint: dynamoDbEndpoint(), region: process.env.AWS_REGION ?? 'us-east-1', ...DYNAMODB_CLIENT_OPTIONS });
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
      dependencies: DEPENDENCIES,
      requestedRuntime: 'node22',
      lastCompletedRuntime: undefined,
      ttlSeconds: 86_400,
      now,
    });
    const item = { ...keys.build(SERVICE, build.sid), ...build };
    const condition = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey } };
    await documents.send(new PutCommand({ TableName: tableName, Item: item, ...condition }));
    return JSON.stringify(item);
  }
  onRequest('drain', async () => {
    const started = performance.now();
    await backend.stepFunctions!.drain();
    await report('drained', { drainMs: performance.now() - started });
  });
  await serveCreates('floor create', create, async () => {
    client.destroy();
    await backend.stop();
  });
}

main().catch(fail);
