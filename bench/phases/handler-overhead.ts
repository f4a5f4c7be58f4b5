/**
 * Phases 1–2: the create handler invoked in this process against the same two requests made bare (BatchGetItem of the same
 * keys + a conditional PutItem of a same-size item), interleaved, the order rotating; DynamoDB requests counted on the
 * handler's own client. Also the Status handler against its bare BatchGetItem, and item sizes, for the cost model.
 */
import { performance } from 'node:perf_hooks';
import { BatchGetCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { hourOf } from '../../lambda/domain/rate-limit';
import { newBuildSid } from '../../lambda/domain/sid';
import { type ItemKey, keys } from '../../lambda/store/keys';
import type { LocalStack } from '../../local/stack';
import { countDynamoDbRequests } from '../lib/count';
import { apiEvent, createInProcess, inProcessHandlers, invoke } from '../lib/events';
import { measureOnStack, phaseDynamoDb } from '../lib/ipc';
import { storedItemSize } from '../lib/item-size';
import { ACCOUNT, ASSET_VERSIONS, BUILDS_PATH, createContextKeys, FUNCTION_VERSIONS, IF_NEW, SERVICE } from '../lib/seed';
import { sleep } from '../lib/stats';

const ITERATIONS = Number(process.env.BENCH_OVERHEAD_ITERATIONS ?? 1000);
const WARMUP = Number(process.env.BENCH_OVERHEAD_WARMUP ?? 200);
const STATUS_ITERATIONS = Number(process.env.BENCH_STATUS_ITERATIONS ?? 300);
const STATUS_WARMUP = 50;

export type OverheadResult = Awaited<ReturnType<typeof measure>>;

async function measure(stack: LocalStack) {
  const table = stack.tableName;
  const { createHandler, statusHandler, counter, DYNAMODB_CLIENT_OPTIONS } = await inProcessHandlers();
  // The bare side's own client, configured as the handlers' is, with the same (idle) middlewares.
  const { client: bareDynamoDb, documents: bareDocuments } = phaseDynamoDb(DYNAMODB_CLIENT_OPTIONS);
  countDynamoDbRequests(bareDynamoDb).enabled = false;
  const contextKeys = createContextKeys(new Date());
  const readContext = () => bareDocuments.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: contextKeys } } }));
  let lastBuildSid = '';
  async function viaHandler(): Promise<number> {
    counter.enabled = true;
    const { ms, sid } = await createInProcess(createHandler);
    counter.enabled = false;
    lastBuildSid = sid;
    return ms;
  }
  // The first create gives the item the bare side writes (same attributes, same size).
  counter.reset();
  await viaHandler();
  const template = (await stack.documentClient.send(new GetCommand({ TableName: table, Key: keys.build(SERVICE, lastBuildSid) }))).Item!;
  const transactionalWrite = counter.commands.has('TransactWriteItemsCommand');
  async function bare(): Promise<number> {
    const sid = newBuildSid(new Date());
    const item = { ...template, ...keys.build(SERVICE, sid), sid };
    const started = performance.now();
    const found = await readContext();
    await bareDocuments.send(new PutCommand({ TableName: table, Item: item, ...IF_NEW }));
    const elapsed = performance.now() - started;
    if (found.Responses?.[table]?.length !== contextKeys.length) throw new Error('bare BatchGetItem did not find every key');
    return elapsed;
  }
  // The hour's count, one of the keys both sides read, is written by the first build's workflow,
  // asynchronously: the floor is measured once it exists.
  const deadline = Date.now() + 30_000;
  while ((await readContext()).Responses?.[table]?.length !== contextKeys.length) {
    if (Date.now() > deadline) throw new Error('the first build was not counted within 30 s: the floor would read a missing key');
    await sleep(50);
  }
  const sides = [viaHandler, bare];
  const samples: [number[], number[]] = [[], []];
  for (let i = 0; i < WARMUP; i++) for (const side of sides) await side();
  counter.reset();
  for (let i = 0; i < ITERATIONS; i++) for (let k = 0; k < sides.length; k++) samples[(i + k) % sides.length]!.push(await sides[(i + k) % sides.length]!());
  const createReadKeys = counter.batchGetKeys / ITERATIONS;
  // The floors (here and in phases/http-floor.ts) read createContextKeys: they must be the create's.
  if (createReadKeys !== contextKeys.length) throw new Error(`the create read ${createReadKeys} keys per request, the floors read ${contextKeys.length}`);
  const dynamoDbCommands = Object.fromEntries(counter.commands);
  // HTTP attempts (retries included) per create, counted on the handler's own client.
  const roundTripsPerCreate = counter.attempts / ITERATIONS;
  // Status (what deploy tools poll), for the cost model, against a BatchGetItem of the account and the build.
  const statusPath = `${BUILDS_PATH}/${lastBuildSid}/Status`;
  const statusKeys = [keys.account(ACCOUNT.sid), keys.build(SERVICE, lastBuildSid)];
  const statusHandlerMs: number[] = [];
  const statusBareMs: number[] = [];
  counter.reset();
  for (let i = 0; i < STATUS_ITERATIONS + STATUS_WARMUP; i++) {
    counter.enabled = i >= STATUS_WARMUP;
    const { ms, response } = await invoke(statusHandler, 'fetch-build-status', apiEvent('GET', statusPath));
    counter.enabled = false;
    if (response.statusCode !== 200) throw new Error(`status answered ${response.statusCode}: ${response.body}`);
    const started = performance.now();
    await bareDocuments.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: statusKeys } } }));
    const bareMs = performance.now() - started;
    if (i < STATUS_WARMUP) continue;
    statusHandlerMs.push(ms);
    statusBareMs.push(bareMs);
  }
  const sizeOf = (key: ItemKey) => storedItemSize(stack.dynamoDb, table, key);
  const sizes: Record<string, number> = {
    account: await sizeOf(keys.account(ACCOUNT.sid)),
    service: await sizeOf(keys.service(ACCOUNT.sid, SERVICE)),
    build_building: await sizeOf(keys.build(SERVICE, lastBuildSid)),
  };
  for (const [i, sid] of FUNCTION_VERSIONS.entries()) sizes[`function_version_${i}`] = await sizeOf(keys.functionVersion(SERVICE, sid));
  for (const [i, sid] of ASSET_VERSIONS.entries()) sizes[`asset_version_${i}`] = await sizeOf(keys.assetVersion(SERVICE, sid));
  // The hour's count, which the workflow wrote in this hour or the last.
  const hour = hourOf(new Date());
  sizes.rate_counter = await sizeOf(keys.rateWindow(ACCOUNT.sid, hour)).catch(() => sizeOf(keys.rateWindow(ACCOUNT.sid, hour - 1)));
  const [handlerMs, bareMs] = samples;
  const statusReadKeys = counter.batchGetKeys / STATUS_ITERATIONS;
  return { handlerMs, bareMs, statusHandlerMs, statusBareMs, dynamoDbCommands, roundTripsPerCreate, createReadKeys, statusReadKeys, sizes, transactionalWrite };
}

// A wait far beyond the phase: the builds' workflows run CountBuild, then stay in their Wait.
measureOnStack('overhead', 3600, measure);
