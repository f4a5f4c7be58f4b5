import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { accountsCommand } from '../../scripts/accounts';
import { STEP_NAMES } from '../../scripts/lib/smoke';
import { smokeCommand } from '../../scripts/smoke';
import { type Run, run, runInProcess } from '../support/cli';
import { ACCOUNT } from '../support/fixtures';
import { expectSameStore, type Snapshot, snapshot } from '../support/resources';
import { startTestStack } from '../support/stack';

/**
 * `npm run smoke` (scripts/smoke.ts) against the local stack, with the seeded account: every step
 * passes and nothing it made is left; and the ways it must fail — a wrong token, bad arguments,
 * answers that break the spec (through a proxy that edits them), a build that never completes or
 * fails, and a run stopped by SIGTERM — each with exit 1 (2 for bad arguments), the failing step
 * named, and the cleanup still run. Two runs are child processes, `npm run smoke` itself and the
 * one stopped by a signal; the others run the same command (`smokeCommand`) in this process.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The smoke reads these when a flag is missing: a developer's own must not change the runs. */
const TWILIO_ENV = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_API_KEY', 'TWILIO_API_SECRET'];

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const credentials = (token = ACCOUNT.auth_token): string[] => ['--account', ACCOUNT.sid, '--token', token];
/** The smoke's environment: this process's, without a developer's own TWILIO_* variables. */
const SMOKE_ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !TWILIO_ENV.includes(name)));
/** `npm run smoke -- …`, in this process. */
const smoke = (args: string[]): Promise<Run> => runInProcess((argv, output) => smokeCommand(argv, SMOKE_ENV, output), args);

/**
 * What is stored, less the account's builds-per-hour counters: a build counts in its hour by
 * design (the rate limit), and the counter expires on its own (DynamoDB TTL).
 */
async function storeWithoutCounters(): Promise<Snapshot> {
  const stored = await snapshot(stack);
  for (const key of [...stored.items.keys()]) if (key.includes('|RATE#')) stored.items.delete(key);
  return stored;
}

const startsWithStep = (line: string, step: string): boolean => new RegExp(`^. ${step}( |:|$)`).test(line);

/** The line of a step (not of a longer one it begins: "fetch function version content"), asserting there is exactly one. */
function lineOf(stdout: string, step: string): string {
  const longer = STEP_NAMES.filter((other) => other !== step && other.startsWith(`${step} `));
  const lines = stdout.split('\n').filter((line) => startsWithStep(line, step) && !longer.some((other) => startsWithStep(line, other)));
  expect(lines, `the line of "${step}" in:\n${stdout}`).toHaveLength(1);
  return lines[0]!;
}

const passedLine = (stdout: string, step: string): string => {
  const line = lineOf(stdout, step);
  expect(line, stdout).toMatch(/^✓ /);
  return line;
};

describe('npm run smoke against the local stack', { timeout: 120_000 }, () => {
  it('passes every step, with a ✓ line each, exit 0, and leaves nothing it made in the table or S3', async () => {
    const before = await storeWithoutCounters();
    const result = await run('npm', ['run', '--silent', 'smoke', '--', '--url', `${stack.baseUrl}/`, ...credentials()], {}, TWILIO_ENV);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    for (const step of STEP_NAMES) passedLine(result.stdout, step);
    expect(passedLine(result.stdout, 'create service')).toMatch(/^✓ create service ZS[0-9a-f]{32} smoke-\d{8}-[0-9a-f]{8} \(201, \d+ ms\)$/);
    expect(passedLine(result.stdout, 'wait for build')).toMatch(/completed after [\d.]+ s \(200 ×\d+, \d+ ms\)$/);
    expect(passedLine(result.stdout, 'fetch function version content')).toMatch(/bytes round-tripped/);
    expect(passedLine(result.stdout, 'cleanup')).toMatch(/deleted service ZS[0-9a-f]{32} and everything under it \(204, 404, /);
    expect(result.stdout).toContain(`PASSED: ${STEP_NAMES.length} of ${STEP_NAMES.length} steps`);
    expectSameStore(before, await storeWithoutCounters());
  });

  it('with a wrong token fails at "create service" (401, named), exit 1, and writes nothing', async () => {
    const before = await storeWithoutCounters();
    const result = await smoke(['--url', stack.baseUrl, ...credentials('f'.repeat(32))]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(lineOf(result.stdout, 'create service')).toMatch(/^✗ create service: CreateService answered 401, expected 201: Twilio error 20003/);
    for (const step of STEP_NAMES.slice(1, -1)) expect(lineOf(result.stdout, step)).toBe(`- ${step}: skipped`);
    expect(passedLine(result.stdout, 'cleanup')).toMatch(/nothing to delete/);
    expect(result.stdout).toMatch(/FAILED: 1 of 15 steps passed; first failure: create service/);
    expect(result.stdout + result.stderr).not.toContain('f'.repeat(32));
    expectSameStore(before, await storeWithoutCounters());
  });

  it.each([
    { case: 'no arguments', args: [], message: /--url is required/ },
    {
      case: 'no credentials',
      args: ['--url', 'http://127.0.0.1:9', '--account', ACCOUNT.sid],
      message: /--token \(or TWILIO_AUTH_TOKEN\), or --key with --secret, is required/,
    },
    { case: 'a URL that is not one', args: ['--url', 'localhost:3000', ...credentials()], message: /--url must be an http\(s\) URL/ },
    {
      case: 'an account that is not a SID',
      args: ['--url', 'http://127.0.0.1:9', '--account', 'AC123', '--token', 'x'],
      message: /--account must be an account SID/,
    },
    {
      case: 'a key without its secret',
      args: ['--url', 'http://127.0.0.1:9', '--account', ACCOUNT.sid, '--key', `SK${'0'.repeat(32)}`],
      message: /--key needs --secret/,
    },
    { case: 'an unknown flag', args: ['--url', 'http://127.0.0.1:9', ...credentials(), '--region', 'eu'], message: /Unknown option '--region'/ },
    { case: 'a zero timeout', args: ['--url', 'http://127.0.0.1:9', ...credentials(), '--timeout', '0'], message: /--timeout must be a number of seconds/ },
  ])('with $case exits 2 with the reason and the usage, sending nothing', async ({ args, message }) => {
    const result = await smoke(args);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: npm run smoke -- --url <ApiUrl>');
    expect(result.stdout).toBe('');
  });

  it('with a missing spec file exits 2 and says where to get the spec', async () => {
    const result = await smoke(['--url', stack.baseUrl, ...credentials(), '--spec', '/nonexistent/twilio_serverless_v1.json']);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toMatch(/Cannot read Twilio's OpenAPI spec at \/nonexistent\/twilio_serverless_v1\.json \(ENOENT\)/);
    expect(result.stderr).toContain('https://github.com/twilio/twilio-oai/blob/main/spec/json/twilio_serverless_v1.json');
  });
});

/** What the proxy does with one request: pass it on and edit the JSON answer, or never answer it. */
interface ProxyRule {
  method: string;
  path: RegExp;
  edit?: (body: Record<string, unknown>) => void;
  hold?: boolean;
  /** Pass the request on, then close the connection without answering (an answer lost on the way). */
  lose?: boolean;
}

interface Proxy {
  url: string;
  server: Server;
  /** `METHOD /path` and the Authorization header of every request it got. */
  seen: { request: string; authorization: string | undefined }[];
}

/** An HTTP proxy in front of the stack that applies the first matching rule to each request. */
async function startProxy(target: string, rules: ProxyRule[] = []): Promise<Proxy> {
  const seen: Proxy['seen'] = [];
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    seen.push({ request: `${request.method} ${request.url}`, authorization: request.headers.authorization });
    const rule = rules.find((candidate) => candidate.method === request.method && candidate.path.test(request.url ?? ''));
    if (rule?.hold) return;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) if (name !== 'host' && typeof value === 'string') headers.set(name, value);
    const answer = await fetch(`${target}${request.url}`, {
      method: request.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    let body = Buffer.from(await answer.arrayBuffer());
    if (rule?.lose) {
      response.socket?.destroy();
      return;
    }
    if (rule?.edit && answer.headers.get('content-type')?.startsWith('application/json')) {
      const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      rule.edit(json);
      body = Buffer.from(JSON.stringify(json));
    }
    const outgoing: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) outgoing[name] = value;
    });
    response.writeHead(answer.status, outgoing).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

async function stopProxy(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Runs the smoke through a proxy with these rules; the run, once the proxy is stopped. */
async function smokeThrough(rules: ProxyRule[], args: string[] = []): Promise<Run> {
  const proxy = await startProxy(stack.baseUrl, rules);
  try {
    return await smoke(['--url', proxy.url, ...credentials(), ...args]);
  } finally {
    await stopProxy(proxy.server);
  }
}

const BUILD_STATUS = /^\/v1\/Services\/ZS[0-9a-f]{32}\/Builds\/ZB[0-9a-f]{32}\/Status$/;

describe('npm run smoke: where it sends what', { timeout: 120_000 }, () => {
  it('sends the two version uploads, and only them, to --upload-url; --json prints one document of every step, all passed', async () => {
    const uploads = await startProxy(stack.baseUrl);
    try {
      const result = await smoke(['--url', stack.baseUrl, '--upload-url', `${uploads.url}/`, ...credentials(), '--json']);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(uploads.seen.map((seen) => seen.request.replace(/[0-9a-f]{32}/g, '…'))).toEqual([
        'POST /v1/Services/ZS…/Functions/ZH…/Versions',
        'POST /v1/Services/ZS…/Assets/ZH…/Versions',
      ]);
      const report = JSON.parse(result.stdout) as { ok: boolean; steps: { name: string; outcome: string; statuses: number[] }[] };
      expect(report.ok).toBe(true);
      expect(report.steps.map((step) => [step.name, step.outcome])).toEqual(STEP_NAMES.map((name) => [name, 'passed']));
      expect(report.steps[0]!.statuses).toEqual([201]);
    } finally {
      await stopProxy(uploads.server);
    }
  });

  it('authenticates with an API key as Basic SK…:secret (refused here: this stack has no such key), exit 1', async () => {
    const key = `SK${'5'.repeat(32)}`;
    const before = await storeWithoutCounters();
    const proxy = await startProxy(stack.baseUrl);
    try {
      const result = await smoke(['--url', proxy.url, '--account', ACCOUNT.sid, '--key', key, '--secret', 'the-secret']);
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stdout).toContain(`smoke test of ${proxy.url} as ${key}`);
      expect(lineOf(result.stdout, 'create service')).toMatch(/^✗ create service: CreateService answered 401/);
      expect(proxy.seen).toEqual([{ request: 'POST /v1/Services', authorization: `Basic ${Buffer.from(`${key}:the-secret`).toString('base64')}` }]);
      expect(result.stdout + result.stderr).not.toContain('the-secret');
    } finally {
      await stopProxy(proxy.server);
    }
    expectSameStore(before, await storeWithoutCounters());
  });

  it('passes every step with an API key of the account made by npm run accounts, exit 0', async () => {
    // npm run accounts, in this process: the stack set DYNAMODB_ENDPOINT to its DynamoDB Local.
    const accounts = (args: string[]) => runInProcess(accountsCommand, [...args, '--json', '--table', stack.tableName]);
    const created = await accounts(['create-key', ACCOUNT.sid, '--name', 'smoke']);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { sid: string; secret: string };
    try {
      const result = await smoke(['--url', stack.baseUrl, '--account', ACCOUNT.sid, '--key', key.sid, '--secret', key.secret]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain(`PASSED: ${STEP_NAMES.length} of ${STEP_NAMES.length} steps`);
      expect(result.stdout + result.stderr).not.toContain(key.secret);
    } finally {
      expect((await accounts(['revoke-key', key.sid])).code).toBe(0);
    }
  });
});

describe('npm run smoke fails, names the step and still cleans up', { timeout: 120_000 }, () => {
  it.each([
    {
      case: 'a service without domain_base',
      rule: { method: 'POST', path: /^\/v1\/Services$/, edit: (body: Record<string, unknown>) => delete body.domain_base },
      step: 'create service',
      problem: "CreateService 201 does not conform to the spec: (body) must have required property 'domain_base'",
    },
    {
      case: 'a function version upload without links',
      rule: { method: 'POST', path: /\/Functions\/ZH[0-9a-f]{32}\/Versions$/, edit: (body: Record<string, unknown>) => delete body.links },
      step: 'upload function version',
      problem: "CreateFunctionVersion 201 does not conform to the spec: (body) must have required property 'links'",
    },
    {
      case: 'a build status the spec does not list',
      rule: { method: 'GET', path: BUILD_STATUS, edit: (body: Record<string, unknown>) => (body.status = 'done') },
      step: 'wait for build',
      problem: 'FetchBuildStatus 200 does not conform to the spec: /status must be equal to one of the allowed values',
    },
    {
      case: 'an environment that does not point to the deployed build',
      rule: { method: 'GET', path: /\/Environments\/ZE[0-9a-f]{32}$/, edit: (body: Record<string, unknown>) => (body.build_sid = null) },
      step: 'fetch environment',
      problem: 'build_sid is null, expected "ZB',
    },
  ])('an answer with $case: exit 1 naming the problem, nothing left', async ({ rule, step, problem }) => {
    const before = await storeWithoutCounters();
    // A short --timeout: a smoke that missed the problem in a Status answer would fail fast, not wait 120 s.
    const result = await smokeThrough([rule], ['--timeout', '10']);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(lineOf(result.stdout, step)).toContain(`✗ ${step}: ${problem}`);
    const index = STEP_NAMES.indexOf(step as (typeof STEP_NAMES)[number]);
    for (const earlier of STEP_NAMES.slice(0, index)) passedLine(result.stdout, earlier);
    for (const later of STEP_NAMES.slice(index + 1, -1)) expect(lineOf(result.stdout, later)).toBe(`- ${later}: skipped`);
    expect(passedLine(result.stdout, 'cleanup')).toMatch(/deleted service ZS[0-9a-f]{32} and everything under it/);
    expect(result.stdout).toContain(`first failure: ${step}`);
    expectSameStore(before, await storeWithoutCounters());
  });

  it.each([
    {
      case: 'never completes: --timeout',
      status: 'building',
      args: ['--timeout', '2'],
      reason: /build ZB[0-9a-f]{32} still building after 2 s \(--timeout\)/,
      atLeastMs: 2000,
    },
    { case: 'fails', status: 'failed', args: ['--timeout', '5'], reason: /build ZB[0-9a-f]{32} failed/, atLeastMs: 0 },
  ])('a build that $case: exit 1 at "wait for build", nothing left', async ({ status, args, reason, atLeastMs }) => {
    const before = await storeWithoutCounters();
    const result = await smokeThrough([{ method: 'GET', path: BUILD_STATUS, edit: (body) => (body.status = status) }], args);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const line = lineOf(result.stdout, 'wait for build');
    expect(line).toMatch(new RegExp(`^✗ wait for build: ${reason.source} \\(200(, | ×\\d+, )(\\d+) ms\\)$`));
    // It gives up only once the timeout has passed (a bound from the logic, not a speed).
    expect(Number(/(\d+) ms\)$/.exec(line)![1])).toBeGreaterThanOrEqual(atLeastMs);
    expect(passedLine(result.stdout, 'cleanup')).toMatch(/deleted service/);
    expectSameStore(before, await storeWithoutCounters());
  });

  it('a lost answer to the service create: exit 1, and the cleanup finds the service by its unique name and deletes it', async () => {
    const before = await storeWithoutCounters();
    const result = await smokeThrough([{ method: 'POST', path: /^\/v1\/Services$/, lose: true }]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(lineOf(result.stdout, 'create service')).toMatch(/^✗ create service: POST http:\/\/127\.0\.0\.1:\d+\/v1\/Services: fetch failed/);
    expect(passedLine(result.stdout, 'cleanup')).toMatch(/^✓ cleanup deleted service smoke-\d{8}-[0-9a-f]{8} and everything under it \(204, 404, /);
    expectSameStore(before, await storeWithoutCounters());
  });

  it('a run stopped by SIGTERM while it waits for the build: exit 1, "aborted", and the cleanup still deletes everything', async () => {
    const before = await storeWithoutCounters();
    // The proxy never answers the Status poll: the smoke is waiting when the signal comes.
    const proxy = await startProxy(stack.baseUrl, [{ method: 'GET', path: BUILD_STATUS, hold: true }]);
    let child: ChildProcess | undefined;
    try {
      const environment: NodeJS.ProcessEnv = { ...process.env };
      for (const name of TWILIO_ENV) delete environment[name];
      child = spawn(process.execPath, ['--import', 'tsx', 'scripts/smoke.ts', '--url', proxy.url, ...credentials()], {
        cwd: ROOT,
        env: environment,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const closed = once(child, 'close') as Promise<[number | null]>;
      const deadline = Date.now() + 20_000;
      while (!/^✓ create build /m.test(stdout)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the smoke did not get to the build:\n${stdout}${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.kill('SIGTERM');
      const [code] = await closed;
      expect(code, stdout + stderr).toBe(1);
      expect(stderr).toContain('SIGTERM: stopping, then deleting what the smoke test made');
      expect(lineOf(stdout, 'wait for build')).toMatch(/^✗ wait for build: aborted \(SIGTERM\)/);
      expect(passedLine(stdout, 'cleanup')).toMatch(/deleted service ZS[0-9a-f]{32} and everything under it/);
    } finally {
      if (child?.exitCode === null) child.kill('SIGKILL');
      await stopProxy(proxy.server);
    }
    expectSameStore(before, await storeWithoutCounters());
  });
});
