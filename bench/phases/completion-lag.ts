/**
 * Phase 5: completion lag. Builds created over HTTP on the local stack; each one's Status polled
 * over HTTP until `completed`; lag = (time of the first `completed` answer − time of the 201) −
 * BUILD_WAIT_SECONDS. Polling is every 20 ms from 150 ms before the wait ends (one poll right
 * after the 201 checks that nothing completes early), so the pollers themselves barely load the
 * stack. The moment the workflow's UpdateItem flipped the status is also recorded server-side.
 * Also measures the completed build and service items (the workflow's writes) and the size of a
 * build's `Build Completed` event on the local bus, for the cost model.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { type ItemKey, keys } from '../../lambda/store/keys';
import { startLocalStack } from '../../local/stack';
import { dynamoDbEndpoint, fail, handlerEnv, report } from '../lib/ipc';
import { itemSize } from '../lib/item-size';
import { ACCOUNT, AUTHORIZATION, BUILDS_PATH, benchSeed, CREATE_FORM, SERVICE } from '../lib/seed';
import { sleep } from '../lib/stats';

const BUILDS = Number(process.env.BENCH_LAG_BUILDS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_LAG_CONCURRENCY ?? 10);
const POLL_MS = Number(process.env.BENCH_LAG_POLL_MS ?? 20);

export interface LagResult {
  buildWaitSeconds: number;
  pollMs: number;
  /** Seen over HTTP: first `completed` − 201 − wait. */
  httpLagMs: number[];
  /** Server side: the workflow's CompleteBuild UpdateItem answered − StartExecution − wait. */
  flipLagMs: number[];
  /** Per execution: its start to its end, minus the wait (ms). */
  executionBeyondWaitMs: number[];
  earlyCompletions: number;
  failed: number;
  /** `build_event`: the last build's `Build Completed` event as a rule's target receives it (JSON bytes), from the local bus. */
  sizes: { build_completed: number; service_after_workflow: number; build_event: number };
}

async function main(): Promise<void> {
  const buildWaitSeconds = Number(process.env.BENCH_LAG_BUILD_WAIT_SECONDS ?? 2);
  const stack = await startLocalStack({
    seed: benchSeed,
    dynamoDbEndpoint: dynamoDbEndpoint(),
    tableName: `bench-lag-${randomUUID()}`,
    buildWaitSeconds,
    port: 0,
    env: handlerEnv(),
  });
  const waitMs = buildWaitSeconds * 1000;

  // Server side: when each execution started, and when its CompleteBuild UpdateItem came back.
  const executionStart = new Map<string, number>();
  const executions = stack.stepFunctions.executions;
  const set = executions.set.bind(executions);
  // Each execution's whole duration beyond the wait (its tasks and the runner's steps): what an
  // Express execution is billed for beyond the wait.
  const beyondWaitMs: number[] = [];
  executions.set = (name, record) => {
    const started = performance.now();
    executionStart.set(name, started);
    void record.done.then(() => beyondWaitMs.push(performance.now() - started - waitMs));
    return set(name, record);
  };
  const flipped = new Map<string, number>();
  stack.dynamoDb.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { UpdateExpression?: string; Key?: { SK?: { S?: string } } };
      if (context.commandName === 'UpdateItemCommand' && input.UpdateExpression?.includes(':completed')) {
        flipped.set(String(input.Key?.SK?.S).replace(/^BUILD#/, ''), performance.now());
      }
      return result;
    },
    { step: 'initialize', name: 'benchFlipTime' },
  );

  const headers = { Authorization: AUTHORIZATION };
  const status = async (sid: string): Promise<string> => {
    const response = await fetch(`${stack.baseUrl}${BUILDS_PATH}/${sid}/Status`, { headers });
    if (response.status !== 200) throw new Error(`Status answered ${response.status}`);
    return ((await response.json()) as { status: string }).status;
  };

  const httpLagMs: number[] = [];
  const flipLagMs: number[] = [];
  let earlyCompletions = 0;
  let failed = 0;
  let lastSid = '';
  const one = async (): Promise<void> => {
    const response = await fetch(`${stack.baseUrl}${BUILDS_PATH}`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: CREATE_FORM,
    });
    const created = performance.now();
    if (response.status !== 201) throw new Error(`create answered ${response.status}: ${await response.text()}`);
    const { sid } = (await response.json()) as { sid: string };
    lastSid = sid;
    if ((await status(sid)) !== 'building') earlyCompletions++;
    await sleep(Math.max(0, created + waitMs - 150 - performance.now()));
    for (;;) {
      const current = await status(sid);
      if (current === 'completed') break;
      if (current === 'failed') {
        failed++;
        return;
      }
      await sleep(POLL_MS);
    }
    httpLagMs.push(performance.now() - created - waitMs);
    const start = executionStart.get(sid);
    const flip = flipped.get(sid);
    if (start !== undefined && flip !== undefined) flipLagMs.push(flip - start - waitMs);
  };

  // A few warm-up builds, then BUILDS builds with CONCURRENCY in flight.
  await Promise.all(Array.from({ length: 3 }, one));
  httpLagMs.length = 0;
  flipLagMs.length = 0;
  beyondWaitMs.length = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      await sleep((worker * waitMs) / CONCURRENCY / 4);
      while (next < BUILDS) {
        next++;
        await one();
      }
    }),
  );
  await stack.stepFunctions.drain();

  const sizeOf = async (key: ItemKey): Promise<number> => {
    const { Item } = await stack.dynamoDb.send(new GetItemCommand({ TableName: stack.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }));
    if (!Item) throw new Error(`no item ${key.PK} ${key.SK}`);
    return itemSize(Item);
  };
  // The events pipe's stand-in puts a build's event once the poller has read the build's end.
  const buildEventBytes = async (sid: string): Promise<number> => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const event = stack.eventBus?.events.find((candidate) => candidate['detail-type'] === 'Build Completed' && candidate.detail.build_sid === sid);
      if (event) return Buffer.byteLength(JSON.stringify(event), 'utf8');
      await sleep(50);
    }
    throw new Error(`no Build Completed event for ${sid} on the local bus`);
  };
  const result: LagResult = {
    buildWaitSeconds,
    pollMs: POLL_MS,
    httpLagMs,
    flipLagMs,
    executionBeyondWaitMs: beyondWaitMs,
    earlyCompletions,
    failed,
    sizes: {
      build_completed: await sizeOf(keys.build(SERVICE, lastSid)),
      service_after_workflow: await sizeOf(keys.service(ACCOUNT.sid, SERVICE)),
      build_event: await buildEventBytes(lastSid),
    },
  };
  await report('result', result);
  await stack.stop();
  process.exit(0);
}

main().catch(fail);
