/**
 * `npm run test:load`: reliability figures on loopback, bounded in count and time.
 *   1. load:  10,000 creates at concurrency 32 (BUILD_WAIT_SECONDS=1); every 201 must name an
 *             item that reaches `completed`, with zero 5xx;
 *   2. fault: DynamoDB Local (on disk) killed for ~5 s during load, then restarted: clients get
 *             a Twilio-shaped 503 with Retry-After quickly, and afterwards no 201 is lost and no
 *             build is left `building`;
 *   3. fuzz:  the route fuzzer with 5,000 cases.
 * Writes bench/reliability.json; exits non-zero when a check fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from '../../local/dynamodb-local';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth, FUNCTION_VERSIONS, SERVICE, testSeed } from '../support/fixtures';
import { scanBuildItems } from '../support/items';

const CONCURRENCY = 32;
const LOAD_CREATES = Number(process.env.LOAD_CREATES ?? 10_000);
const FAULT_SECONDS = 5;

interface Outcome {
  status: number;
  startedAt: number;
  endedAt: number;
  sid?: string;
  twilioShaped: boolean;
  retryAfter: string | null;
}

const form = `FunctionVersions=${FUNCTION_VERSIONS[0]}&Dependencies=${encodeURIComponent('[{"name":"twilio","version":"5.0.0"}]')}`;

async function createOnce(baseUrl: string): Promise<Outcome> {
  const startedAt = Date.now();
  try {
    const response = await fetch(`${baseUrl}/v1/Services/${SERVICE}/Builds`, {
      method: 'POST',
      headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form,
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return {
      status: response.status,
      startedAt,
      endedAt: Date.now(),
      sid: response.status === 201 ? String(body.sid) : undefined,
      twilioShaped: response.status < 400 || ['code', 'message', 'more_info', 'status'].every((key) => key in body),
      retryAfter: response.headers.get('retry-after'),
    };
  } catch {
    return { status: 0, startedAt, endedAt: Date.now(), twilioShaped: false, retryAfter: null };
  }
}

/** Sends creates from CONCURRENCY workers until `total` are sent or `until()` says stop. */
async function sendCreates(baseUrl: string, total: number, until: () => boolean = () => false): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < total && !until()) {
        sent++;
        outcomes.push(await createOnce(baseUrl));
      }
    }),
  );
  return outcomes;
}

const buildItems = (stack: LocalStack) => scanBuildItems(stack.documentClient, stack.tableName);

/** Waits until every execution has ended, at most `limitMs`. */
async function settle(stack: LocalStack, limitMs: number): Promise<void> {
  await Promise.race([stack.stepFunctions.drain(), new Promise((resolve) => setTimeout(resolve, limitMs))]);
}

function tally(outcomes: Outcome[], items: Record<string, unknown>[]) {
  const created = outcomes.filter((outcome) => outcome.status === 201);
  const itemSids = new Set(items.map((item) => String(item.sid)));
  return {
    creates_sent: outcomes.length,
    created_201: created.length,
    items: items.length,
    completed: items.filter((item) => item.status === 'completed').length,
    failed: items.filter((item) => item.status === 'failed').length,
    stuck_building: items.filter((item) => item.status === 'building').length,
    non_2xx: outcomes.filter((outcome) => outcome.status < 200 || outcome.status >= 300).length,
    lost: created.filter((outcome) => !itemSids.has(outcome.sid!)).length,
  };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function loadPhase() {
  const dynamoDbLocal = await startDynamoDbLocal();
  const stack = await startLocalStack({ dynamoDbEndpoint: dynamoDbLocal.endpoint, tableName: 'load', seed: testSeed, buildWaitSeconds: 1 });
  try {
    const started = Date.now();
    const outcomes = await sendCreates(stack.baseUrl, LOAD_CREATES);
    const seconds = (Date.now() - started) / 1000;
    await settle(stack, 120_000);
    const figures = tally(outcomes, await buildItems(stack));
    return {
      ...figures,
      duration_s: Number(seconds.toFixed(1)),
      rps: Math.round(outcomes.length / seconds),
      p99_ms: percentile(
        outcomes.map((o) => o.endedAt - o.startedAt),
        99,
      ),
    };
  } finally {
    await stack.stop();
    await dynamoDbLocal.stop();
  }
}

async function faultPhase() {
  const dataDir = mkdtempSync(join(tmpdir(), 'builds-fault-'));
  const port = await freePort();
  let dynamoDbLocal: DynamoDbLocal = await startDynamoDbLocal({ port, path: dataDir });
  const stack = await startLocalStack({ dynamoDbEndpoint: dynamoDbLocal.endpoint, tableName: 'fault', seed: testSeed, buildWaitSeconds: 1 });
  const window = { start: 0, end: 0 };
  try {
    let stop = false;
    const load = sendCreates(stack.baseUrl, 20_000, () => stop);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    window.start = Date.now();
    dynamoDbLocal.process.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, FAULT_SECONDS * 1000));
    dynamoDbLocal = await startDynamoDbLocal({ port, path: dataDir });
    window.end = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    stop = true;
    const outcomes = await load;
    await settle(stack, 180_000);

    // A request belongs to the fault window if any part of it overlapped the outage.
    const inWindow = (outcome: Outcome) => outcome.endedAt >= window.start && outcome.startedAt <= window.end;
    const during = outcomes.filter(inWindow);
    const outside = outcomes.filter((outcome) => !inWindow(outcome));
    const refused = during.filter((outcome) => outcome.status >= 500);
    const figures = tally(outcomes, await buildItems(stack));
    return {
      ...figures,
      outage_ms: window.end - window.start,
      non_2xx_outside_window: outside.filter((outcome) => outcome.status < 200 || outcome.status >= 300).length,
      during_window: during.length,
      during_window_503: during.filter((outcome) => outcome.status === 503).length,
      during_window_other_5xx: refused.filter((outcome) => outcome.status !== 503).length,
      during_window_503_without_retry_after: during.filter((outcome) => outcome.status === 503 && !outcome.retryAfter).length,
      during_window_not_twilio_shaped: during.filter((outcome) => !outcome.twilioShaped).length,
      during_window_max_latency_ms: Math.max(0, ...during.map((outcome) => outcome.endedAt - outcome.startedAt)),
    };
  } finally {
    await stack.stop();
    await dynamoDbLocal.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function fuzzPhase(): { cases: number; passed: boolean } {
  const cases = 5_000;
  const run = spawnSync('npx', ['vitest', 'run', 'test/integration/fuzz-routes.property.test.ts'], {
    env: { ...process.env, FUZZ_RUNS: String(cases), POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
    stdio: 'inherit',
  });
  return { cases, passed: run.status === 0 };
}

/** Each phase runs in a process of its own: the handlers read their configuration once per process, as on Lambda. */
function runPhase(phase: 'load' | 'fault'): Record<string, number> {
  const run = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, phase], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  const line = run.stdout.split('\n').find((text) => text.startsWith('RESULT '));
  if (!line) throw new Error(`${phase} phase produced no result (exit ${run.status}):\n${run.stdout.slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length));
}

async function main() {
  const phase = process.argv[2];
  if (phase === 'load' || phase === 'fault') {
    const figures = phase === 'load' ? await loadPhase() : await faultPhase();
    console.log(`RESULT ${JSON.stringify(figures)}`);
    process.exit(0);
  }
  console.log(`load: ${LOAD_CREATES} creates at concurrency ${CONCURRENCY}…`);
  const load = runPhase('load');
  console.table(load);
  console.log(`fault: DynamoDB Local killed for ${FAULT_SECONDS} s during load…`);
  const fault = runPhase('fault');
  console.table(fault);
  console.log('fuzz: 5,000 cases over every route…');
  const fuzz = fuzzPhase();

  const report = { ...load, fault_phase: fault, fuzz };
  mkdirSync('bench', { recursive: true });
  writeFileSync('bench/reliability.json', `${JSON.stringify(report, null, 2)}\n`);
  console.log('wrote bench/reliability.json');

  const failures = [
    load.lost! > 0 && `load: ${load.lost} lost`,
    load.stuck_building! > 0 && `load: ${load.stuck_building} stuck building`,
    load.non_2xx! > 0 && `load: ${load.non_2xx} non-2xx`,
    load.created_201 !== load.items || load.items !== load.completed
      ? `load: 201s ${load.created_201}, items ${load.items}, completed ${load.completed}`
      : false,
    fault.lost! > 0 && `fault: ${fault.lost} lost`,
    fault.stuck_building! > 0 && `fault: ${fault.stuck_building} stuck building`,
    fault.created_201 === 0 && 'fault: no build was created at all',
    fault.non_2xx_outside_window! > 0 && `fault: ${fault.non_2xx_outside_window} non-2xx outside the window`,
    fault.during_window_other_5xx! + fault.during_window_503_without_retry_after! + fault.during_window_not_twilio_shaped! > 0 &&
      'fault: a refusal during the outage was not a Twilio-shaped 503 with Retry-After',
    !fuzz.passed && 'fuzz: a 5xx was found',
  ].filter(Boolean);
  if (failures.length) {
    console.error(`FAILED:\n- ${failures.join('\n- ')}`);
    process.exit(1);
  }
  console.log('all reliability checks passed');
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
