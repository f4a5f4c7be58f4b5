/**
 * Phase 1 + 2: the create handler invoked in this process (API Gateway v2 event in, response out)
 * against the same requests made bare with the SDK, interleaved; DynamoDB requests per create
 * counted on the handler's own client. Also the Status handler (for the cost model) and the sizes
 * of the items a create reads and writes.
 *
 * Two sides, their order rotating every iteration:
 *   handler   the create handler, configured as the stack deploys it;
 *   floor     BatchGetItem of the same keys + conditional PutItem of a same-size item (the
 *             agreed floor; the create starts no workflow itself: the table's stream does, for
 *             both sides' items alike);
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Build } from '../../lambda/domain/model';
import { hourOf } from '../../lambda/domain/rate-limit';
import { newBuildSid } from '../../lambda/domain/sid';
import { type ItemKey, keys } from '../../lambda/store/keys';
import { type LambdaHttpHandler, lambdaContext } from '../../local/http-adapter';
import { startLocalStack } from '../../local/stack';
import { countDynamoDbRequests, countHttpRequestsTo } from '../lib/count';
import { apiEvent } from '../lib/events';
import { dynamoDbEndpoint, fail, handlerEnv, report } from '../lib/ipc';
import { itemSize } from '../lib/item-size';
import { cpuProfile } from '../lib/profile';
import { ACCOUNT, ASSET_VERSIONS, BUILDS_PATH, benchSeed, CREATE_FORM, createContextKeys, FUNCTION_VERSIONS, SERVICE } from '../lib/seed';

const ITERATIONS = Number(process.env.BENCH_OVERHEAD_ITERATIONS ?? 1000);
const WARMUP = Number(process.env.BENCH_OVERHEAD_WARMUP ?? 200);
const STATUS_ITERATIONS = Number(process.env.BENCH_STATUS_ITERATIONS ?? 300);
/** A diagnostic: where to write the measurement's CPU profile (it slows both sides). */
const PROFILE_FILE = process.env.BENCH_OVERHEAD_CPU_PROFILE;

export interface OverheadResult {
  handlerMs: number[];
  /** The floor: BatchGetItem + PutItem. */
  bareMs: number[];
  statusHandlerMs: number[];
  statusBareMs: number[];
  creates: number;
  dynamoDbCommands: Record<string, number>;
  dynamoDbAttempts: number;
  startExecutionRequests: number;
  statusDynamoDbCommands: Record<string, number>;
  /** Keys the create's and the Status handler's BatchGetItems asked for, per request. */
  createReadKeys: number;
  statusReadKeys: number;
  sizes: Record<string, number>;
  /** The create's write is a TransactWriteItems (2 WRU per KB per item) rather than a PutItem. */
  transactionalWrite: boolean;
  buildItemAttributes: number;
  dynamoDbLocalConsumedWcu: number | undefined;
}

async function main(): Promise<void> {
  const endpoint = dynamoDbEndpoint();
  // A wait far beyond the phase: the workflows both sides start stay in their Wait state, so no
  // workflow UpdateItem runs during the measurement (the same for both sides).
  const stack = await startLocalStack({
    seed: benchSeed,
    dynamoDbEndpoint: endpoint,
    tableName: `bench-overhead-${randomUUID()}`,
    buildWaitSeconds: 3600,
    port: 0,
    env: handlerEnv(),
  });
  const table = stack.tableName;
  // As the stack set them for the handlers (whatever version of local/ this is).
  const region = process.env.AWS_REGION ?? 'us-east-1';

  // The handler modules the stack imported (same URLs, so the same instances), and the handler's
  // own DynamoDB client, imported after startLocalStack set the environment.
  const createHandler = (await import('../../lambda/handlers/create-build')).handler as unknown as LambdaHttpHandler;
  const statusHandler = (await import('../../lambda/handlers/fetch-build-status')).handler as unknown as LambdaHttpHandler;
  const { dynamoDb, DYNAMODB_CLIENT_OPTIONS } = await import('../../lambda/store/client');
  const counter = countDynamoDbRequests(dynamoDb);
  counter.enabled = false;
  const startExecutions = countHttpRequestsTo(stack.stepFunctions.endpoint);
  startExecutions.enabled = false;

  // The bare side: its own client, configured as lambda/store/client.ts does, with the same
  // (idle) counting middlewares.
  const bareDynamoDb = new DynamoDBClient({ endpoint, region, ...DYNAMODB_CLIENT_OPTIONS });
  countDynamoDbRequests(bareDynamoDb).enabled = false;
  const bareDocuments = DynamoDBDocumentClient.from(bareDynamoDb, { marshallOptions: { removeUndefinedValues: true } });

  const contextKeys = createContextKeys(new Date());

  let lastBuildSid = '';
  async function viaHandler(): Promise<number> {
    const event = apiEvent('POST', BUILDS_PATH, CREATE_FORM);
    const context = lambdaContext('create-build', event.requestContext.requestId);
    counter.enabled = true;
    startExecutions.enabled = true;
    const started = performance.now();
    const response = await createHandler(event, context);
    const elapsed = performance.now() - started;
    counter.enabled = false;
    startExecutions.enabled = false;
    if (response.statusCode !== 201) throw new Error(`create answered ${response.statusCode}: ${response.body}`);
    lastBuildSid = (JSON.parse(response.body ?? '{}') as { sid: string }).sid;
    return elapsed;
  }

  // The first create gives the item the bare side writes (same attributes, same size).
  counter.reset();
  await viaHandler();
  const template = (await stack.documentClient.send(new GetCommand({ TableName: table, Key: keys.build(SERVICE, lastBuildSid) }))).Item as {
    account_sid: string;
    service_sid: string;
    runtime: Build['runtime'];
  } & Record<string, unknown>;

  async function bare(): Promise<number> {
    const sid = newBuildSid(new Date());
    const item = { ...template, ...keys.build(SERVICE, sid), sid };
    const started = performance.now();
    const found = await bareDocuments.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: contextKeys } } }));
    await bareDocuments.send(
      new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'PK' } }),
    );
    const elapsed = performance.now() - started;
    if (found.Responses?.[table]?.length !== contextKeys.length) throw new Error('bare BatchGetItem did not find every key');
    return elapsed;
  }

  // The hour's count item, one of the keys both sides read, is written by the first build's
  // workflow (CountBuild), asynchronously from the stream: the floor is measured once it exists.
  for (const deadline = Date.now() + 30_000; ; ) {
    const found = await bareDocuments.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: contextKeys } } }));
    if (found.Responses?.[table]?.length === contextKeys.length) break;
    if (Date.now() > deadline) throw new Error('the first build was not counted within 30 s: the floor would read a missing key');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  // What the handler's write is (counted on its client during the first create), for the cost model.
  const transactional = counter.commands.has('TransactWriteItemsCommand');

  const sides: Array<{ run: () => Promise<number>; samples: number[] }> = [
    { run: viaHandler, samples: [] },
    { run: bare, samples: [] },
  ];
  // Warm-up (JIT of Node and of DynamoDB Local's JVM, connection pools).
  for (let i = 0; i < WARMUP; i++) for (const side of sides) await side.run();

  counter.reset();
  startExecutions.count = 0;
  // Every side once per iteration, the order rotating (ABC, BCA, CAB, …).
  const measure = async () => {
    for (let i = 0; i < ITERATIONS; i++) {
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(i + k) % sides.length]!;
        side.samples.push(await side.run());
      }
    }
  };
  if (PROFILE_FILE) writeFileSync(PROFILE_FILE, JSON.stringify(await cpuProfile(measure)));
  else await measure();
  const handlerMs = sides[0]!.samples;
  const bareMs = sides[1]!.samples;
  const dynamoDbCommands = Object.fromEntries(counter.commands);
  const dynamoDbAttempts = counter.attempts;
  const createReadKeys = counter.batchGetKeys / ITERATIONS;
  // The floors (here and in phases/http-floor.ts) read createContextKeys: they must be the create's.
  if (createReadKeys !== contextKeys.length) throw new Error(`the create read ${createReadKeys} keys per request, the floors read ${contextKeys.length}`);
  const startExecutionRequests = startExecutions.count;

  // The Status route (what deploy tools poll), for the cost model: handler vs its bare BatchGetItem.
  const statusPath = `${BUILDS_PATH}/${lastBuildSid}/Status`;
  // The Status floor: a BatchGetItem of what Status needs, the account (credentials) and the build.
  const statusKeys = [keys.account(ACCOUNT.sid), keys.build(SERVICE, lastBuildSid)];
  const statusHandlerMs: number[] = [];
  const statusBareMs: number[] = [];
  counter.reset();
  for (let i = 0; i < STATUS_ITERATIONS + 50; i++) {
    const event = apiEvent('GET', statusPath);
    const context = lambdaContext('fetch-build-status', event.requestContext.requestId);
    counter.enabled = i >= 50;
    let started = performance.now();
    const response = await statusHandler(event, context);
    const handlerElapsed = performance.now() - started;
    counter.enabled = false;
    if (response.statusCode !== 200) throw new Error(`status answered ${response.statusCode}: ${response.body}`);
    started = performance.now();
    await bareDocuments.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: statusKeys } } }));
    const bareElapsed = performance.now() - started;
    if (i >= 50) {
      statusHandlerMs.push(handlerElapsed);
      statusBareMs.push(bareElapsed);
    }
  }
  const statusDynamoDbCommands = Object.fromEntries([...counter.commands].map(([name, n]) => [name, n / STATUS_ITERATIONS]));
  const statusReadKeys = counter.batchGetKeys / STATUS_ITERATIONS;

  // Item sizes, from the items as DynamoDB Local stores them.
  const sizeOf = async (key: ItemKey): Promise<number> => {
    const { Item } = await stack.dynamoDb.send(new GetItemCommand({ TableName: table, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }));
    if (!Item) throw new Error(`no item ${key.PK} ${key.SK}`);
    return itemSize(Item);
  };
  const sizes: Record<string, number> = {
    account: await sizeOf(keys.account(ACCOUNT.sid)),
    service: await sizeOf(keys.service(ACCOUNT.sid, SERVICE)),
    build_building: await sizeOf(keys.build(SERVICE, lastBuildSid)),
  };
  for (const [i, sid] of FUNCTION_VERSIONS.entries()) sizes[`function_version_${i}`] = await sizeOf(keys.functionVersion(SERVICE, sid));
  for (const [i, sid] of ASSET_VERSIONS.entries()) sizes[`asset_version_${i}`] = await sizeOf(keys.assetVersion(SERVICE, sid));
  // The workflow counts every build in its hour (the count the create reads).
  const hour = hourOf(new Date());
  sizes.rate_counter = await sizeOf(keys.rateWindow(ACCOUNT.sid, hour)).catch(() => sizeOf(keys.rateWindow(ACCOUNT.sid, hour - 1)));

  // What DynamoDB Local itself reports for one put of the build item (if it reports capacity).
  let dynamoDbLocalConsumedWcu: number | undefined;
  try {
    const sid = newBuildSid(new Date());
    const put = await stack.documentClient.send(
      new PutCommand({ TableName: table, Item: { ...template, ...keys.build(SERVICE, sid), sid }, ReturnConsumedCapacity: 'TOTAL' }),
    );
    dynamoDbLocalConsumedWcu = put.ConsumedCapacity?.CapacityUnits;
  } catch {
    dynamoDbLocalConsumedWcu = undefined;
  }

  const result: OverheadResult = {
    handlerMs,
    bareMs,
    statusHandlerMs,
    statusBareMs,
    creates: ITERATIONS,
    dynamoDbCommands,
    dynamoDbAttempts,
    startExecutionRequests,
    statusDynamoDbCommands,
    createReadKeys,
    statusReadKeys,
    sizes,
    transactionalWrite: transactional,
    buildItemAttributes: Object.keys(template).length,
    dynamoDbLocalConsumedWcu,
  };
  await report('result', result);
  await stack.stop();
  bareDynamoDb.destroy();
  // The workflows started here are still in their one-hour Wait: end the process, not them.
  process.exit(0);
}

main().catch(fail);
