/**
 * Phase 8: whole deploys by Twilio's serverless toolkit: `@twilio-labs/serverless-api`'s own
 * `deployLocalProject` of test/fixtures/toolkit-project to a new service each time, against the
 * local stack with a 1 s build wait, the toolkit pointed at it by test/support/toolkit.ts (every
 * request and status recorded, every response checked against Twilio's spec). One warm-up, then
 * DEPLOYS deploys. Every answer must be < 300 and no request retried, or the phase fails.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { LocalStack } from '../../local/stack';
import { measureOnStack } from '../lib/ipc';
import { ACCOUNT } from '../lib/seed';

const DEPLOYS = Number(process.env.BENCH_DEPLOY_RUNS ?? 5);
const BUILD_WAIT_SECONDS = Number(process.env.BENCH_DEPLOY_BUILD_WAIT_SECONDS ?? 1);
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/toolkit-project', import.meta.url));
/** The variables test/clients/serverless-toolkit-deploy.test.ts deploys. */
const ENV = { GREETING: 'hi there', API_TOKEN: 's3cr3t-t0ken' };
const CREDENTIALS = { username: ACCOUNT.sid, password: ACCOUNT.auth_token };

export type DeployResult = Awaited<ReturnType<typeof measure>>;

async function measure(stack: LocalStack) {
  // Imported after the stack set the handlers' environment (it imports lambda/routes).
  const { localToolkitClient } = await import('../../test/support/toolkit');
  const { client: toolkit, traffic } = localToolkitClient(CREDENTIALS, stack.baseUrl);
  const project = mkdtempSync(join(tmpdir(), 'bench-toolkit-project-'));
  cpSync(FIXTURE, project, { recursive: true });
  const pkgJson = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  const options = { ...CREDENTIALS, cwd: project, envPath: join(project, '.env'), env: ENV, pkgJson, functionsEnv: 'dev' };
  const runId = randomUUID().slice(0, 8);
  const deploy = async (index: number) => {
    const serviceName = `bench-deploy-${runId}-${index}`;
    const [fromRequest, fromProblems] = [traffic.requests.length, traffic.problems.length];
    const started = performance.now();
    const result = await toolkit.deployLocalProject({ ...options, serviceName });
    const wallMs = performance.now() - started;
    if (!/^ZB[0-9a-f]{32}$/.test(result.buildSid)) throw new Error(`deploy ${serviceName}: no build SID (${result.buildSid})`);
    const requests = traffic.requests.slice(fromRequest);
    const statuses = traffic.statuses.slice(fromRequest);
    if (requests.length !== statuses.length) throw new Error(`deploy ${serviceName}: ${requests.length} requests but ${statuses.length} responses`);
    const refused = requests.map((request, i) => `${request} → ${statuses[i]}`).filter((_, i) => statuses[i]! >= 300);
    if (refused.length > 0) throw new Error(`deploy ${serviceName}: non-2xx answers: ${refused.join('; ')}`);
    // got retries only after an error answer or a request without one, which the checks above refuse: so none was retried.
    await stack.stepFunctions.drain();
    return { wallMs, requests, problems: traffic.problems.slice(fromProblems) };
  };
  const warmup = await deploy(0);
  const runs = [];
  for (let i = 1; i <= DEPLOYS; i++) runs.push(await deploy(i));
  rmSync(project, { recursive: true, force: true });
  return { buildWaitSeconds: BUILD_WAIT_SECONDS, warmup, runs };
}

measureOnStack('deploy', BUILD_WAIT_SECONDS, measure);
