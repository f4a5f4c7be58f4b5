/**
 * Phase 4's other two sides, each a node:http server in a process of its own, no framework, answering 201 with the item.
 *
 *   floor     (BENCH_SIDE=floor) the least a create can do over HTTP in this design: per request exactly the create
 *             handler's requests — one BatchGetItem of the same seven keys, one conditional PutItem of a build built by the
 *             same code (`newBuild`) — and no form parsing, authentication, validation or rendering. In the stack's process
 *             layout: its own seeded table on the run's DynamoDB Local, the stream poller and workflow runner in this process.
 *   baseline  (BENCH_SIDE=baseline, for the record) only the conditional PutItem of a copy of the stack's build item, into a
 *             table of its own created like the stack's (stream included, but no poller reads it and no workflow runs), so
 *             that the stack's and the floor's tables get the same writes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BatchGetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { newBuild } from '../../lambda/domain/build';
import type { AssetVersion, FunctionVersion } from '../../lambda/domain/model';
import { DYNAMODB_CLIENT_OPTIONS } from '../../lambda/store/client';
import { type ItemKey, keys, TABLE_KEY } from '../../lambda/store/keys';
import { startLocalBackend } from '../../local/backend';
import { ensureTable } from '../../local/table';
import { dynamoDbEndpoint, fail, onRequest, phaseDynamoDb, report, serveCreates } from '../lib/ipc';
import { ACCOUNT, ASSET_VERSIONS, benchSeed, createContextKeys, DEPENDENCIES, FUNCTION_VERSIONS, IF_NEW, SERVICE } from '../lib/seed';

async function baseline(): Promise<void> {
  const tableName = `bench-baseline-${randomUUID()}`;
  const template = JSON.parse(process.env.BENCH_ITEM_TEMPLATE!) as Record<string, unknown>;
  const { client, documents } = phaseDynamoDb();
  await ensureTable(client, tableName);
  const put = async () => {
    const sid = `ZB${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
    const item = { ...template, SK: `BUILD#${sid}`, sid };
    await documents.send(new PutCommand({ TableName: tableName, Item: item, ...IF_NEW }));
    return JSON.stringify(item);
  };
  await serveCreates('baseline put', put, () => client.destroy());
}

async function floor(): Promise<void> {
  const buildWaitSeconds = Number(process.env.BENCH_HTTP_BUILD_WAIT_SECONDS ?? 1);
  const tableName = `bench-floor-${randomUUID()}`;
  const backend = await startLocalBackend({ tableName, dynamoDbEndpoint: dynamoDbEndpoint(), seed: benchSeed, buildWaitSeconds });
  // Configured as lambda/store/client.ts configures the handler's client.
  const { client, documents } = phaseDynamoDb(DYNAMODB_CLIENT_OPTIONS);
  async function create(): Promise<string> {
    const now = new Date();
    const found = await documents.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: createContextKeys(now) } } }));
    const bySortKey = new Map((found.Responses?.[tableName] ?? []).map((item) => [item[TABLE_KEY.sortKey] as string, item]));
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
    await documents.send(new PutCommand({ TableName: tableName, Item: item, ...IF_NEW }));
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

(process.env.BENCH_SIDE === 'baseline' ? baseline() : floor()).catch(fail);
