/**
 * Phase 5: completion lag. Builds created over HTTP on the local stack, each one's Status polled over HTTP until `completed`:
 * lag = first `completed` answer − the 201 − the wait. Polling starts 150 ms before the wait ends (one poll right after the
 * 201 checks that nothing completes early), so the pollers barely load the stack. Also, for the cost model, each execution's
 * time beyond the wait (what Express bills beyond it) and the sizes of the completed build, the service and the build's event.
 */
import { performance } from 'node:perf_hooks';
import { keys } from '../../lambda/store/keys';
import type { LocalStack } from '../../local/stack';
import { createOverHttp } from '../lib/events';
import { measureOnStack } from '../lib/ipc';
import { storedItemSize } from '../lib/item-size';
import { ACCOUNT, AUTHORIZATION, BUILDS_PATH, SERVICE } from '../lib/seed';
import { sleep } from '../lib/stats';

const BUILDS = Number(process.env.BENCH_LAG_BUILDS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_LAG_CONCURRENCY ?? 10);
const POLL_MS = Number(process.env.BENCH_LAG_POLL_MS ?? 20);
const BUILD_WAIT_SECONDS = Number(process.env.BENCH_LAG_BUILD_WAIT_SECONDS ?? 2);

export type LagResult = Awaited<ReturnType<typeof measure>>;

async function measure(stack: LocalStack) {
  const waitMs = BUILD_WAIT_SECONDS * 1000;
  const beyondWaitMs: number[] = [];
  // Each execution the stack's workflow runner starts, timed from its start to its end.
  const { executions } = stack.stepFunctions;
  const set = executions.set.bind(executions);
  executions.set = (name, record) => {
    const started = performance.now();
    void record.done.then(() => beyondWaitMs.push(performance.now() - started - waitMs));
    return set(name, record);
  };
  const status = async (sid: string): Promise<string> => {
    const response = await fetch(`${stack.baseUrl}${BUILDS_PATH}/${sid}/Status`, { headers: { Authorization: AUTHORIZATION } });
    if (response.status !== 200) throw new Error(`Status answered ${response.status}`);
    return ((await response.json()) as { status: string }).status;
  };
  const httpLagMs: number[] = [];
  let earlyCompletions = 0;
  let failed = 0;
  let lastSid = '';
  const one = async (): Promise<void> => {
    const { sid, at: created } = await createOverHttp(stack.baseUrl);
    lastSid = sid;
    if ((await status(sid)) !== 'building') earlyCompletions++;
    await sleep(Math.max(0, created + waitMs - 150 - performance.now()));
    for (let current = await status(sid); current !== 'completed'; current = await status(sid)) {
      if (current === 'failed') {
        failed++;
        return;
      }
      await sleep(POLL_MS);
    }
    httpLagMs.push(performance.now() - created - waitMs);
  };
  // A few warm-up builds, then BUILDS builds with CONCURRENCY in flight.
  await Promise.all(Array.from({ length: 3 }, one));
  httpLagMs.length = 0;
  beyondWaitMs.length = 0;
  let next = 0;
  const worker = async (index: number) => {
    await sleep((index * waitMs) / CONCURRENCY / 4);
    // Each worker claims a build before running it.
    while (next++ < BUILDS) await one();
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, index) => worker(index)));
  await stack.stepFunctions.drain();
  // The events pipe's stand-in puts a build's event once the poller has read the build's end.
  const buildEventBytes = async (sid: string): Promise<number> => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const event = stack.eventBus?.events.find((candidate) => candidate['detail-type'] === 'Build Completed' && candidate.detail.build_sid === sid);
      if (event) return Buffer.byteLength(JSON.stringify(event), 'utf8');
      await sleep(50);
    }
    throw new Error(`no Build Completed event for ${sid} on the local bus`);
  };
  return {
    buildWaitSeconds: BUILD_WAIT_SECONDS,
    pollMs: POLL_MS,
    httpLagMs,
    executionBeyondWaitMs: beyondWaitMs,
    earlyCompletions,
    failed,
    sizes: {
      build_completed: await storedItemSize(stack.dynamoDb, stack.tableName, keys.build(SERVICE, lastSid)),
      service_after_workflow: await storedItemSize(stack.dynamoDb, stack.tableName, keys.service(ACCOUNT.sid, SERVICE)),
      build_event: await buildEventBytes(lastSid),
    },
  };
}

measureOnStack('lag', BUILD_WAIT_SECONDS, measure);
