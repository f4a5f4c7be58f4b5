import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TwilioServerlessApiClient } from '@twilio-labs/serverless-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth } from '../support/fixtures';
import { startTestStack } from '../support/stack';
import { localToolkitClient, type ToolkitTraffic } from '../support/toolkit';

/**
 * Twilio's serverless toolkit deploys a whole project here: its own `deployLocalProject`,
 * `activateBuild`, `list`, variable calls and `getLogs`, unchanged, with only the address its
 * HTTP client talks to moved to the local stack (test/support/toolkit.ts). Every response it
 * gets is checked against Twilio's OpenAPI spec.
 */

const FIXTURE = fileURLToPath(new URL('../fixtures/toolkit-project', import.meta.url));
const ENV = { GREETING: 'hi there', API_TOKEN: 's3cr3t-t0ken' };
/** The toolkit's calls take the client config (credentials) along with their own settings. */
const CREDENTIALS = { username: ACCOUNT.sid, password: ACCOUNT.auth_token };

let stack: LocalStack;
let toolkit: TwilioServerlessApiClient;
let traffic: ToolkitTraffic;
let project: string;

beforeAll(async () => {
  stack = await startTestStack();
  ({ client: toolkit, traffic } = localToolkitClient(CREDENTIALS, stack.baseUrl));
  // A copy, so that a re-deploy can change a function.
  project = mkdtempSync(join(tmpdir(), 'toolkit-project-'));
  cpSync(FIXTURE, project, { recursive: true });
});
afterAll(async () => {
  await stack?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

const pkgJson = () => JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
const deployConfig = (overrides: Record<string, unknown> = {}) => ({
  ...CREDENTIALS,
  cwd: project,
  envPath: join(project, '.env'),
  env: ENV,
  pkgJson: pkgJson(),
  serviceName: 'toolkit-e2e',
  functionsEnv: 'dev',
  ...overrides,
});

/** GET with the account's credentials. */
const get = async (path: string) => (await fetch(`${stack.baseUrl}${path}`, { headers: { authorization: basicAuth(ACCOUNT) } })).json();

/** Only the traffic of what `run` does, with every response checked against the spec. */
async function observed<T>(run: () => Promise<T>): Promise<{ result: T; requests: string[]; statuses: number[] }> {
  const from = traffic.requests.length;
  const fromProblems = traffic.problems.length;
  const result = await run();
  expect(traffic.problems.slice(fromProblems), 'responses valid against the spec').toEqual([]);
  return { result, requests: traffic.requests.slice(from), statuses: traffic.statuses.slice(from) };
}

let first: Awaited<ReturnType<TwilioServerlessApiClient['deployLocalProject']>>;

describe('@twilio-labs/serverless-api deploys a project to the local stack', () => {
  it('deployLocalProject: a new service, its dev environment, two functions (one protected), an asset, dependencies and variables', async () => {
    const { result, requests, statuses } = await observed(() => toolkit.deployLocalProject(deployConfig()));
    first = result;
    expect(result.serviceSid).toMatch(/^ZS[0-9a-f]{32}$/);
    expect(result.environmentSid).toMatch(/^ZE[0-9a-f]{32}$/);
    expect(result.buildSid).toMatch(/^ZB[0-9a-f]{32}$/);
    expect(result.domain).toMatch(/^toolkit-e2e-\d{4}-dev\.localhost$/);
    // Both hosts' paths went to the one base URL, and no request was retried or refused.
    expect(requests.filter((request) => request.endsWith('/Versions') && request.startsWith('POST'))).toHaveLength(3);
    expect(statuses.every((status) => status < 300)).toBe(true);

    const environment = await get(`/v1/Services/${result.serviceSid}/Environments/${result.environmentSid}`);
    expect(environment).toMatchObject({ build_sid: result.buildSid, unique_name: 'dev-environment', domain_suffix: 'dev', domain_name: result.domain });
    const build = await get(`/v1/Services/${result.serviceSid}/Builds/${result.buildSid}`);
    expect(build.status).toBe('completed');
    expect(build.dependencies).toEqual(expect.arrayContaining([{ name: 'twilio', version: '^5.0.0' }]));
    expect(build.function_versions.map((version: { path: string; visibility: string }) => [version.path, version.visibility]).sort()).toEqual([
      ['/hello', 'PUBLIC'],
      ['/secret', 'PROTECTED'],
    ]);
    expect(build.asset_versions.map((version: { path: string }) => version.path)).toEqual(['/logo.png']);
    const variables = await get(`/v1/Services/${result.serviceSid}/Environments/${result.environmentSid}/Variables`);
    expect(Object.fromEntries(variables.variables.map((variable: { key: string; value: string }) => [variable.key, variable.value]))).toEqual(ENV);
  });

  it('re-deploys to the same service by SID with a changed function: a second build and deployment, the environment moved', async () => {
    writeFileSync(join(project, 'functions', 'hello.js'), 'exports.handler = (context, event, callback) => callback(null, "changed");\n');
    const { result } = await observed(() => toolkit.deployLocalProject(deployConfig({ serviceSid: first.serviceSid })));
    expect(result.serviceSid).toBe(first.serviceSid);
    expect(result.environmentSid).toBe(first.environmentSid);
    expect(result.buildSid).not.toBe(first.buildSid);
    const environment = await get(`/v1/Services/${first.serviceSid}/Environments/${first.environmentSid}`);
    expect(environment.build_sid).toBe(result.buildSid);
    const deployments = await get(`/v1/Services/${first.serviceSid}/Environments/${first.environmentSid}/Deployments`);
    expect(deployments.deployments.map((deployment: { build_sid: string }) => deployment.build_sid)).toEqual([result.buildSid, first.buildSid]);
    // The new hello.js is what the new build's version holds.
    const build = await get(`/v1/Services/${first.serviceSid}/Builds/${result.buildSid}`);
    const hello = build.function_versions.find((version: { path: string }) => version.path === '/hello');
    const content = await get(`/v1/Services/${first.serviceSid}/Functions/${hello.function_sid}/Versions/${hello.sid}/Content`);
    expect(content.content).toContain('"changed"');
  });

  it('a deploy by the same service name without its SID: the toolkit\'s "conflicting-servicename", and with overrideExistingService it deploys there', async () => {
    const conflict = await toolkit.deployLocalProject(deployConfig()).then(
      () => undefined,
      (error: Error & { serviceSid?: string }) => error,
    );
    expect(conflict?.name).toBe('conflicting-servicename');
    expect(conflict?.serviceSid).toBe(first.serviceSid);

    const { result } = await observed(() => toolkit.deployLocalProject(deployConfig({ overrideExistingService: true })));
    expect(result.serviceSid).toBe(first.serviceSid);
    expect(result.environmentSid).toBe(first.environmentSid);
  });

  it('activateBuild promotes the dev build into a new production environment', async () => {
    const dev = await get(`/v1/Services/${first.serviceSid}/Environments/${first.environmentSid}`);
    const { result } = await observed(() =>
      toolkit.activateBuild({
        ...CREDENTIALS,
        serviceSid: first.serviceSid,
        sourceEnvironment: 'dev',
        targetEnvironment: '',
        createEnvironment: true,
        env: { GREETING: 'hello, production' },
      }),
    );
    expect(result.buildSid).toBe(dev.build_sid);
    expect(result.environmentSid).not.toBe(first.environmentSid);
    expect(result.domain).toMatch(/^toolkit-e2e-\d{4}\.localhost$/);
    const production = await get(`/v1/Services/${first.serviceSid}/Environments/${result.environmentSid}`);
    expect(production).toMatchObject({ unique_name: 'production', domain_suffix: null, build_sid: dev.build_sid });
  });

  it('list: services, environments, builds, functions, assets and variables', async () => {
    // The toolkit lists services alone (a services-only call), everything else of one service.
    const { result: services } = await observed(() => toolkit.list({ ...CREDENTIALS, types: ['services'] }));
    expect(services.services?.map((service) => service.sid)).toContain(first.serviceSid);
    const { result } = await observed(() =>
      toolkit.list({ ...CREDENTIALS, types: ['environments', 'builds', 'functions', 'assets', 'variables'], serviceSid: first.serviceSid, environment: 'dev' }),
    );
    expect(result.environments?.map((environment) => environment.unique_name).sort()).toEqual(['dev-environment', 'production']);
    expect(result.builds?.length).toBe(3);
    expect(result.functions?.entries.map((version) => version.path).sort()).toEqual(['/hello', '/secret']);
    expect(result.assets?.entries.map((version) => version.path)).toEqual(['/logo.png']);
    expect(result.variables?.entries.map((variable) => variable.key).sort()).toEqual(['API_TOKEN', 'GREETING']);
  });

  it('setEnvironmentVariables, getEnvironmentVariables and removeEnvironmentVariables', async () => {
    const common = { ...CREDENTIALS, serviceSid: first.serviceSid, environment: first.environmentSid };
    await observed(() => toolkit.setEnvironmentVariables({ ...common, env: { NEW_ONE: '1', GREETING: 'changed' }, append: true }));
    const { result: read } = await observed(() => toolkit.getEnvironmentVariables({ ...common, keys: [], getValues: true }));
    expect(Object.fromEntries(read.variables.map(({ key, value }) => [key, value]))).toEqual({ NEW_ONE: '1', GREETING: 'changed', API_TOKEN: ENV.API_TOKEN });
    await observed(() => toolkit.removeEnvironmentVariables({ ...common, keys: ['NEW_ONE'] }));
    const { result: after } = await observed(() => toolkit.getEnvironmentVariables({ ...common, keys: [], getValues: true }));
    expect(after.variables.map(({ key }) => key).sort()).toEqual(['API_TOKEN', 'GREETING']);
  });

  it('getLogs returns an empty list without an error', async () => {
    const { result } = await observed(() => toolkit.getLogs({ serviceSid: first.serviceSid, environment: first.environmentSid, tail: false }));
    expect(result).toEqual([]);
  });
});
