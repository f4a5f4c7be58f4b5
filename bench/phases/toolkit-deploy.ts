/**
 * Phase 8: a whole deploy by Twilio's serverless toolkit. `@twilio-labs/serverless-api`'s own
 * `deployLocalProject` of the test project (test/fixtures/toolkit-project: two functions, one of
 * them protected, an asset, dependencies from its package.json, two variables) to a new service
 * each time, against the local stack with a 1 s build wait, the toolkit pointed at the stack by
 * test/support/toolkit.ts (`localToolkitClient`: only the host its HTTP client talks to moved;
 * every request and status recorded, every response checked against Twilio's spec).
 *
 * One warm-up deploy, then DEPLOYS deploys, one after the other, each of a fresh service. Per
 * deploy: the wall time of `deployLocalProject`, the toolkit's `status-update` events (the time
 * from each to the next is a step; the requests issued in between belong to it), every request
 * with its status, got's timings and retry count. Every response must be < 300 and no request may
 * be retried: the phase fails otherwise.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { TwilioServerlessApiClient } from '@twilio-labs/serverless-api';
import { startLocalStack } from '../../local/stack';
import { dynamoDbEndpoint, fail, handlerEnv, report } from '../lib/ipc';
import { ACCOUNT, benchSeed } from '../lib/seed';

const DEPLOYS = Number(process.env.BENCH_DEPLOY_RUNS ?? 5);
const BUILD_WAIT_SECONDS = Number(process.env.BENCH_DEPLOY_BUILD_WAIT_SECONDS ?? 1);
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/toolkit-project', import.meta.url));
/** The variables test/clients/serverless-toolkit-deploy.test.ts deploys. */
const ENV = { GREETING: 'hi there', API_TOKEN: 's3cr3t-t0ken' };
const CREDENTIALS = { username: ACCOUNT.sid, password: ACCOUNT.auth_token };

export interface DeployStep {
  /** `status: message` of the toolkit's `status-update` event that starts the step (`start` before the first). */
  label: string;
  ms: number;
  /** The kinds of the requests issued during the step (see `requestKind`). */
  requests: string[];
}

export interface DeployRequest {
  /** `METHOD /path` with SIDs as `{ZS}`, `{ZE}`…, without the query. */
  kind: string;
  status: number;
  /** got's `timings.phases.total`: request sent → response ended. */
  ms: number;
  retryCount: number;
  /** When the response was handed to the toolkit, ms since the deploy started. */
  at: number;
}

/** The build of a deploy, on one clock (the stack runs in this process): ms since the deploy started. */
export interface DeployBuild {
  sid: string;
  /** The create's 201 reached the toolkit. */
  createdAt: number;
  /** The stream poller started the build's workflow; undefined if the stack did not say. */
  workflowStartedAt?: number;
  /** The workflow's UpdateItem that flipped the build to `completed` answered (after the wait). */
  completedAt?: number;
  /** Every Status poll: when its answer arrived, and what it said. */
  polls: Array<{ at: number; status: string }>;
}

export interface DeployRun {
  serviceName: string;
  wallMs: number;
  steps: DeployStep[];
  /** Every request and status as test/support/toolkit.ts recorded them, in order. */
  requests: string[];
  statuses: number[];
  timed: DeployRequest[];
  build: DeployBuild;
  /** Responses that differ from Twilio's spec (closed mode): reported, not fatal. */
  problems: string[];
}

export interface DeployResult {
  buildWaitSeconds: number;
  fixture: { functions: number; assets: number };
  warmup: DeployRun;
  runs: DeployRun[];
}

/** `POST /v1/Services/ZS…/Functions/ZH…/Versions?x=1` → `POST /v1/Services/{ZS}/Functions/{ZH}/Versions`. */
const requestKind = (request: string): string => request.replace(/\?.*$/, '').replace(/\/([A-Z]{2})[0-9a-f]{32}(?=\/|$)/g, '/{$1}');

type GotLike = { extend(options: unknown): GotLike };

async function main(): Promise<void> {
  const stack = await startLocalStack({
    seed: benchSeed,
    dynamoDbEndpoint: dynamoDbEndpoint(),
    tableName: `bench-deploy-${randomUUID()}`,
    buildWaitSeconds: BUILD_WAIT_SECONDS,
    port: 0,
    env: handlerEnv(),
  });
  // Imported after the stack set the handlers' environment (it imports lambda/routes).
  const { localToolkitClient } = await import('../../test/support/toolkit');
  const { client: toolkit, traffic } = localToolkitClient(CREDENTIALS, stack.baseUrl);

  // A second got hook after the module's own (got appends extended hooks): timings and retries.
  let timed: DeployRequest[] = [];
  let deployStarted = 0;
  let build: DeployBuild = { sid: '', createdAt: Number.NaN, polls: [] };
  const internal = toolkit as unknown as { client: GotLike };
  internal.client = internal.client.extend({
    hooks: {
      afterResponse: [
        (response: {
          requestUrl: string;
          statusCode: number;
          retryCount: number;
          timings: { phases: { total?: number } };
          request: { options: { method: string } };
          body: unknown;
        }) => {
          const at = performance.now() - deployStarted;
          const kind = requestKind(`${response.request.options.method} ${new URL(response.requestUrl).pathname}`);
          timed.push({ kind, status: response.statusCode, ms: response.timings.phases.total ?? Number.NaN, retryCount: response.retryCount, at });
          const body = (typeof response.body === 'string' ? JSON.parse(response.body) : response.body) as { sid?: string; status?: string };
          if (kind === 'POST /v1/Services/{ZS}/Builds') build = { sid: String(body.sid), createdAt: at, polls: [] };
          if (kind === 'GET /v1/Services/{ZS}/Builds/{ZB}/Status') build.polls.push({ at, status: String(body.status) });
          return response;
        },
      ],
    },
  });

  // Server side, on the same clock (as phase 5 does): when each build's workflow started (the
  // execution is named after the build) and when its UpdateItem to `completed` answered.
  const workflowStarted = new Map<string, number>();
  const completed = new Map<string, number>();
  const executions = stack.stepFunctions?.executions;
  if (executions) {
    const set = executions.set.bind(executions);
    executions.set = (name, record) => {
      workflowStarted.set(name, performance.now());
      return set(name, record);
    };
  }
  stack.dynamoDb.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { UpdateExpression?: string; Key?: { SK?: { S?: string } } };
      if (context.commandName === 'UpdateItemCommand' && input.UpdateExpression?.includes(':completed')) {
        completed.set(String(input.Key?.SK?.S).replace(/^BUILD#/, ''), performance.now());
      }
      return result;
    },
    { step: 'initialize', name: 'benchCompletedTime' },
  );

  const project = mkdtempSync(join(tmpdir(), 'bench-toolkit-project-'));
  cpSync(FIXTURE, project, { recursive: true });
  const pkgJson = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  const runId = randomUUID().slice(0, 8);

  const deploy = async (client: TwilioServerlessApiClient, index: number): Promise<DeployRun> => {
    const serviceName = `bench-deploy-${runId}-${index}`;
    const fromRequest = traffic.requests.length;
    const fromProblems = traffic.problems.length;
    timed = [];
    build = { sid: '', createdAt: Number.NaN, polls: [] };
    const marks: Array<{ label: string; at: number; request: number }> = [];
    const seen = new Map<string, number>();
    const onUpdate = ({ status, message }: { status: string; message: string }) => {
      const base = `${status}: ${message}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      marks.push({ label: n === 1 ? base : `${base} (#${n})`, at: performance.now(), request: traffic.requests.length });
    };
    client.on('status-update', onUpdate);
    // The toolkit's last event is a `status` (done), emitted after the activation returned.
    client.on('status', onUpdate);
    const started = performance.now();
    deployStarted = started;
    marks.push({ label: 'start', at: started, request: fromRequest });
    try {
      const result = await client.deployLocalProject({
        ...CREDENTIALS,
        cwd: project,
        envPath: join(project, '.env'),
        env: ENV,
        pkgJson,
        serviceName,
        functionsEnv: 'dev',
      });
      if (!/^ZB[0-9a-f]{32}$/.test(result.buildSid)) throw new Error(`deploy ${serviceName}: no build SID (${result.buildSid})`);
    } finally {
      client.off('status-update', onUpdate);
      client.off('status', onUpdate);
    }
    const ended = performance.now();
    marks.push({ label: 'end', at: ended, request: traffic.requests.length });

    const requests = traffic.requests.slice(fromRequest);
    const statuses = traffic.statuses.slice(fromRequest);
    const steps: DeployStep[] = [];
    for (let i = 0; i + 1 < marks.length; i++) {
      const mark = marks[i]!;
      const next = marks[i + 1]!;
      steps.push({ label: mark.label, ms: next.at - mark.at, requests: traffic.requests.slice(mark.request, next.request).map(requestKind) });
    }

    // All must succeed; none retried.
    if (requests.length !== statuses.length) throw new Error(`deploy ${serviceName}: ${requests.length} requests but ${statuses.length} responses`);
    const refused = requests.map((request, i) => [request, statuses[i]!] as const).filter(([, status]) => status >= 300);
    if (refused.length > 0)
      throw new Error(`deploy ${serviceName}: non-2xx answers: ${refused.map(([request, status]) => `${request} → ${status}`).join('; ')}`);
    const repeatedAfterError = requests.filter((request, i) => i > 0 && request === requests[i - 1] && statuses[i - 1]! >= 300);
    const retried = timed.filter((request) => request.retryCount > 0);
    if (repeatedAfterError.length > 0 || retried.length > 0)
      throw new Error(`deploy ${serviceName}: retried requests: ${[...repeatedAfterError, ...retried.map((request) => request.kind)].join('; ')}`);

    if (!build.sid.startsWith('ZB')) throw new Error(`deploy ${serviceName}: no build create seen`);
    await stack.stepFunctions?.drain();
    const since = (at: number | undefined) => (at === undefined ? undefined : at - started);
    build.workflowStartedAt = since(workflowStarted.get(build.sid));
    build.completedAt = since(completed.get(build.sid));

    return { serviceName, wallMs: ended - started, steps, requests, statuses, timed, build, problems: traffic.problems.slice(fromProblems) };
  };

  const warmup = await deploy(toolkit, 0);
  const runs: DeployRun[] = [];
  for (let i = 1; i <= DEPLOYS; i++) runs.push(await deploy(toolkit, i));

  const listing = (folder: string) =>
    warmup.requests.filter((request) => request.startsWith('POST') && request.includes(`/${folder}/`) && /\/Versions$/.test(request));
  const result: DeployResult = {
    buildWaitSeconds: BUILD_WAIT_SECONDS,
    fixture: { functions: listing('Functions').length, assets: listing('Assets').length },
    warmup,
    runs,
  };
  await report('result', result);
  rmSync(project, { recursive: true, force: true });
  await stack.stop();
  process.exit(0);
}

main().catch(fail);
