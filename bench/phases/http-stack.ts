/**
 * Phase 4 (the stack side): the local HTTP stack — the real handlers behind the API Gateway
 * adapter, the real workflow started by every create (BUILD_WAIT_SECONDS short, so that its
 * UpdateItems run during the load as they would in steady state). The orchestrator drives it with
 * autocannon; this process counts the handler's DynamoDB requests and the executions.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambda/store/keys';
import { startLocalStack } from '../../local/stack';
import { countDynamoDbRequests } from '../lib/count';
import { dynamoDbEndpoint, fail, handlerEnv, onRequest, report } from '../lib/ipc';
import { profileCategories } from '../lib/profile';
import { AUTHORIZATION, BUILDS_PATH, benchSeed, CREATE_FORM, SERVICE } from '../lib/seed';
import { sleep } from '../lib/stats';

export interface HttpStackReady {
  baseUrl: string;
  tableName: string;
  buildWaitSeconds: number;
  /** A build item as the handler wrote it: what the baseline server writes. */
  template: Record<string, unknown>;
}

export interface HttpStackCounts {
  dynamoDbCommands: Record<string, number>;
  dynamoDbAttempts: number;
  executionsStarted: number;
}

export interface HttpStackProfile {
  /** CPU ms (self time) by category over the profiled window. */
  categories: Record<string, number>;
  creates: number;
}

export interface HttpStackDrained {
  drainMs: number;
  /** Per execution started in the window: end of execution minus start minus the wait (ms). */
  executionLagMs: number[];
  failedExecutions: number;
}

async function main(): Promise<void> {
  const buildWaitSeconds = Number(process.env.BENCH_HTTP_BUILD_WAIT_SECONDS ?? 1);
  const stack = await startLocalStack({
    seed: benchSeed,
    dynamoDbEndpoint: dynamoDbEndpoint(),
    tableName: `bench-http-${randomUUID()}`,
    buildWaitSeconds,
    port: 0,
    env: handlerEnv(),
  });
  const { dynamoDb } = await import('../../lambda/store/client');
  const counter = countDynamoDbRequests(dynamoDb);

  // Every execution's start and end, watched on the runner's own record.
  let executionsStarted = 0;
  let failedExecutions = 0;
  let lags: number[] = [];
  const executions = stack.stepFunctions.executions;
  const set = executions.set.bind(executions);
  executions.set = (name, record) => {
    const started = performance.now();
    executionsStarted++;
    const window = lags;
    void record.done.then(() => {
      if (record.status === 'FAILED') failedExecutions++;
      window.push(performance.now() - started - buildWaitSeconds * 1000);
    });
    return set(name, record);
  };

  const response = await fetch(`${stack.baseUrl}${BUILDS_PATH}`, {
    method: 'POST',
    headers: { Authorization: AUTHORIZATION, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: CREATE_FORM,
  });
  if (response.status !== 201) throw new Error(`warm-up create answered ${response.status}: ${await response.text()}`);
  const { sid } = (await response.json()) as { sid: string };
  const template = (await stack.documentClient.send(new GetCommand({ TableName: stack.tableName, Key: keys.build(SERVICE, sid) }))).Item!;

  onRequest('reset', async () => {
    counter.reset();
    executionsStarted = 0;
    failedExecutions = 0;
    lags = [];
    await report('reset');
  });
  onRequest('counts', async () => {
    const counts: HttpStackCounts = {
      dynamoDbCommands: Object.fromEntries(counter.commands),
      dynamoDbAttempts: counter.attempts,
      executionsStarted,
    };
    await report('counts', counts);
  });
  onRequest('drain', async () => {
    const started = performance.now();
    await stack.stepFunctions.drain();
    const drained: HttpStackDrained = { drainMs: performance.now() - started, executionLagMs: lags, failedExecutions };
    await report('drained', drained);
  });
  // A CPU profile of this process while the orchestrator loads it: where a create's CPU goes.
  onRequest('profile', async (seconds) => {
    const before = executionsStarted;
    const categories = await profileCategories(() => sleep(Number(seconds) * 1000));
    const profiled: HttpStackProfile = { categories, creates: executionsStarted - before };
    await report('profiled', profiled);
  });
  onRequest('stop', async () => {
    await stack.stop();
    process.exit(0);
  });
  const ready: HttpStackReady = { baseUrl: stack.baseUrl, tableName: stack.tableName, buildWaitSeconds, template };
  await report('ready', ready);
}

main().catch(fail);
