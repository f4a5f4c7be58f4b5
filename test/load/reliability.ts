/**
 * `npm run test:load`: reliability figures on loopback, bounded in count and time.
 *   1. load:  10,000 creates at concurrency 32 (BUILD_WAIT_SECONDS=1); every 201 must name an
 *             item that reaches `completed`, with zero 5xx;
 *   2. fault: DynamoDB Local (on disk) killed during load and cut off for 5 s (longer if its
 *             restart takes longer), then back with its data: clients get
 *             a Twilio-shaped 503 with Retry-After quickly, and afterwards no 201 is lost and no
 *             build is left `building`; toolkit-style pollers of Build Status (1 s interval,
 *             any non-2xx fatal) run through the outage and must only ever see 2xx;
 *   3. crash: the process that runs the handlers is killed with SIGKILL at random moments during
 *             load (at least 5 times) and restarted; DynamoDB Local, the workflow runner and the
 *             stream poller run in another process (the "AWS side"). Every create carries an
 *             Idempotency-Key and is retried with it until it gets a 201: every 201 names a
 *             build that exists and completes, none stays `building`;
 *   4. fuzz:  the route fuzzer with 5,000 cases.
 * Writes bench/reliability.json; exits non-zero when a check fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalBackend } from '../../local/backend';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from '../../local/dynamodb-local';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth, FUNCTION_VERSIONS, SERVICE, testSeed } from '../support/fixtures';
import { scanBuildItems } from '../support/items';
import { startTcpGate } from '../support/tcp-gate';

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
  /** What a non-2xx said (status, Twilio code and message, or the client's error), for the log. */
  detail?: string;
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
      ...(response.ok ? {} : { detail: `${response.status} ${body.code ?? ''} ${body.message ?? JSON.stringify(body)}` }),
    };
  } catch (error) {
    return { status: 0, startedAt, endedAt: Date.now(), twilioShaped: false, retryAfter: null, detail: `no answer: ${String(error)}` };
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
    for (const refused of outcomes.filter((outcome) => outcome.detail)) {
      console.error(`load: non-2xx after ${refused.endedAt - refused.startedAt} ms: ${refused.detail}`);
    }
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

/** Deploy tools polling Build Status through the fault phase's outage. */
const STATUS_POLLERS = 4;

interface Poll {
  status: number;
  startedAt: number;
  endedAt: number;
}

/**
 * As Twilio's serverless toolkit waits for a build (waitForSuccessfulBuild): GET its Status, sleep
 * 1 s after each answer, and give up for good on the first non-2xx (the toolkit's deploy dies of
 * it). Polls until `until()`, whatever the build's status, so that every poller spans the whole
 * outage. Returns its polls, the fatal one last.
 */
async function pollLikeTheToolkit(baseUrl: string, sid: string, offsetMs: number, until: () => boolean): Promise<Poll[]> {
  await sleep(offsetMs);
  const polls: Poll[] = [];
  while (!until()) {
    const startedAt = Date.now();
    let status = 0;
    try {
      const response = await fetch(`${baseUrl}/v1/Services/${SERVICE}/Builds/${sid}/Status`, {
        headers: { Authorization: basicAuth(ACCOUNT) },
        signal: AbortSignal.timeout(60_000),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      // no answer at all: as fatal to the toolkit as a non-2xx
    }
    polls.push({ status, startedAt, endedAt: Date.now() });
    if (status < 200 || status >= 300) break;
    await sleep(1_000);
  }
  return polls;
}

async function faultPhase() {
  const dataDir = mkdtempSync(join(tmpdir(), 'builds-fault-'));
  const port = await freePort();
  let dynamoDbLocal: DynamoDbLocal = await startDynamoDbLocal({ port, path: dataDir });
  // Everything reaches DynamoDB Local through the gate, so that the outage lasts FAULT_SECONDS
  // (or the restart, if that takes longer) rather than FAULT_SECONDS plus the restart.
  const gate = await startTcpGate(port);
  const stack = await startLocalStack({ dynamoDbEndpoint: gate.endpoint, tableName: 'fault', seed: testSeed, buildWaitSeconds: 1 });
  const window = { start: 0, end: 0 };
  try {
    let stop = false;
    // The pollers' builds are created before the load, so that each poller is polling when the outage begins.
    const pollerCreates = await Promise.all(Array.from({ length: STATUS_POLLERS }, () => createOnce(stack.baseUrl)));
    const load = sendCreates(stack.baseUrl, 20_000, () => stop);
    const pollers = pollerCreates.map((created, index) => pollLikeTheToolkit(stack.baseUrl, created.sid!, index * (1_000 / STATUS_POLLERS), () => stop));
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    window.start = Date.now();
    await gate.cut();
    dynamoDbLocal.process.kill('SIGKILL');
    await new Promise((resolve) => dynamoDbLocal.process.once('exit', resolve));
    const [restarted] = await Promise.all([startDynamoDbLocal({ port, path: dataDir, quickStart: true }), sleep(FAULT_SECONDS * 1000)]);
    dynamoDbLocal = restarted;
    await gate.open();
    window.end = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    stop = true;
    const polls = (await Promise.all(pollers)).flat();
    const outcomes = [...(await load), ...pollerCreates];
    await settle(stack, 180_000);

    // A request belongs to the fault window if any part of it overlapped the outage.
    const inWindow = (outcome: Poll) => outcome.endedAt >= window.start && outcome.startedAt <= window.end;
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
      status_pollers: STATUS_POLLERS,
      status_polls: polls.length,
      status_polls_during_window: polls.filter(inWindow).length,
      status_polls_non_2xx: polls.filter((poll) => poll.status < 200 || poll.status >= 300).length,
      status_polls_max_latency_ms: Math.max(0, ...polls.map((poll) => poll.endedAt - poll.startedAt)),
    };
  } finally {
    await stack.stop();
    await gate.stop();
    await dynamoDbLocal.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const CRASH_KILLS = Number(process.env.CRASH_KILLS ?? 6);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The handlers alone (what is killed in the crash phase): they write to the backend's DynamoDB and S3 and start nothing. */
async function handlersProcess() {
  const stack = await startLocalStack({
    port: Number(process.env.PORT),
    dynamoDbEndpoint: process.env.DYNAMODB_ENDPOINT,
    s3Endpoint: process.env.S3_ENDPOINT,
    tableName: process.env.TABLE_NAME,
    seed: testSeed,
    workflow: 'elsewhere',
  });
  console.log(`READY ${stack.baseUrl}`);
}

async function crashPhase() {
  const dynamoDbLocal = await startDynamoDbLocal();
  const tableName = 'crash';
  // The "AWS side": DynamoDB Local, S3, the workflow runner and the stream poller, never killed.
  const backend = await startLocalBackend({ dynamoDbEndpoint: dynamoDbLocal.endpoint, tableName, seed: testSeed, buildWaitSeconds: 1 });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let handlers: ChildProcess | undefined;
  const startHandlers = async () => {
    const child = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, 'handlers'], {
      env: { ...process.env, ...backend.env, PORT: String(port), POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('READY ')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the handlers process exited (${code}) before it was ready`)));
    });
    handlers = child;
  };
  let kills = 0;
  let attempts = 0;
  const keys: { key: string; sid?: string; attempts: number; retried: boolean }[] = [];
  try {
    await startHandlers();
    let stop = false;
    /** One logical create: its key, retried with the same key (connection errors, 5xx) until a 201. */
    const createWithRetries = async () => {
      const record = { key: randomUUID(), sid: undefined as string | undefined, attempts: 0, retried: false };
      keys.push(record);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        record.attempts++;
        attempts++;
        try {
          const response = await fetch(`${baseUrl}/v1/Services/${SERVICE}/Builds`, {
            method: 'POST',
            headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': record.key },
            body: form,
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await response.json().catch(() => ({}))) as { sid?: string };
          if (response.status === 201) {
            record.sid = body.sid;
            return;
          }
        } catch {
          // the handlers process died mid-request: retry with the same key
        }
        record.retried = true;
        await sleep(200);
      }
    };
    const load = Promise.all(
      Array.from({ length: CONCURRENCY / 2 }, async () => {
        while (!stop) await createWithRetries();
      }),
    );
    for (let i = 0; i < CRASH_KILLS; i++) {
      await sleep(1_000 + Math.random() * 2_000);
      handlers!.kill('SIGKILL');
      kills++;
      await new Promise((resolve) => handlers!.once('exit', resolve));
      await sleep(Math.random() * 500);
      await startHandlers();
    }
    await sleep(2_000);
    stop = true;
    await load;
    await Promise.race([backend.stepFunctions!.drain(), sleep(120_000)]);

    const items = await scanBuildItems(backend.documentClient, tableName);
    const itemSids = new Set(items.map((item) => String(item.sid)));
    const byStatus = (status: string) => items.filter((item) => item.status === status).length;
    const created = keys.filter((record) => record.sid);
    const retried = created.filter((record) => record.retried);
    const completedSids = new Set(items.filter((item) => item.status === 'completed').map((item) => String(item.sid)));
    return {
      kills,
      creates_sent: attempts,
      logical_creates: keys.length,
      created_201: created.length,
      items: items.length,
      completed: byStatus('completed'),
      failed: byStatus('failed'),
      stuck_building: byStatus('building'),
      lost: created.filter((record) => !itemSids.has(record.sid!)).length,
      never_created: keys.length - created.length,
      retried_with_same_key: retried.length,
      retried_completed: retried.filter((record) => completedSids.has(record.sid!)).length,
      // Builds no 201 named: writes that landed while their answer was lost, never retried (none: every create is retried until it gets its 201).
      orphan_builds: items.filter((item) => !created.some((record) => record.sid === item.sid)).length,
    };
  } finally {
    handlers?.kill('SIGKILL');
    await backend.stop();
    await dynamoDbLocal.stop();
  }
}

function fuzzPhase(): { cases: number; passed: boolean } {
  const cases = 5_000;
  // The suite's 30 s test timeout fits its 100 cases, not 5,000 on a busy machine: the claim is "no 5xx", not a speed.
  const run = spawnSync('npx', ['vitest', 'run', 'test/integration/fuzz-routes.property.test.ts', '--testTimeout', String(20 * 60_000)], {
    env: { ...process.env, FUZZ_RUNS: String(cases), POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
    stdio: 'inherit',
  });
  return { cases, passed: run.status === 0 };
}

/** Each phase runs in a process of its own: the handlers read their configuration once per process, as on Lambda. */
function runPhase(phase: 'load' | 'fault' | 'crash'): Record<string, number> {
  const run = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, phase], {
    // The phase's stdout carries its RESULT line; the handlers' metric lines (one per create) would
    // overflow spawnSync's buffer, and the metrics are not what this run checks.
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true' },
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
  if (phase === 'handlers') return handlersProcess();
  if (phase === 'load' || phase === 'fault' || phase === 'crash') {
    const figures = phase === 'load' ? await loadPhase() : phase === 'fault' ? await faultPhase() : await crashPhase();
    console.log(`RESULT ${JSON.stringify(figures)}`);
    process.exit(0);
  }
  console.log(`load: ${LOAD_CREATES} creates at concurrency ${CONCURRENCY}…`);
  const load = runPhase('load');
  console.table(load);
  console.log(`fault: DynamoDB Local killed for ${FAULT_SECONDS} s during load…`);
  const fault = runPhase('fault');
  console.table(fault);
  console.log(`crash: the handlers' process killed ${CRASH_KILLS} times during load…`);
  const crash = runPhase('crash');
  console.table(crash);
  console.log('fuzz: 5,000 cases over every route…');
  const fuzz = fuzzPhase();

  const report = { ...load, fault_phase: fault, crash_phase: crash, fuzz };
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
    fault.status_polls_non_2xx! > 0 && `fault: ${fault.status_polls_non_2xx} Build Status polls answered non-2xx (a toolkit deploy would have died)`,
    fault.status_polls_during_window! < STATUS_POLLERS && `fault: only ${fault.status_polls_during_window} Build Status polls overlapped the outage`,
    fault.during_window_other_5xx! + fault.during_window_503_without_retry_after! + fault.during_window_not_twilio_shaped! > 0 &&
      'fault: a refusal during the outage was not a Twilio-shaped 503 with Retry-After',
    crash.kills! < 5 && `crash: only ${crash.kills} kills`,
    crash.lost! > 0 && `crash: ${crash.lost} lost`,
    crash.stuck_building! > 0 && `crash: ${crash.stuck_building} stuck building`,
    crash.never_created! > 0 && `crash: ${crash.never_created} creates never got a 201`,
    (crash.created_201 !== crash.items || crash.items !== crash.completed) &&
      `crash: 201s ${crash.created_201}, items ${crash.items}, completed ${crash.completed}`,
    crash.retried_completed !== crash.retried_with_same_key && 'crash: a build retried with the same key did not complete',
    !fuzz.passed && 'fuzz: the fuzzer failed (a 5xx, or see its output above)',
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
