import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeedFile } from '../../local/seed';
import type { LocalStack } from '../../local/stack';
import { basicAuth } from '../support/fixtures';
import { bodyProblems } from '../support/openapi';
import { startTestStack } from '../support/stack';

/**
 * The curl walk-through of docs/clients.md ("curl: from nothing to a deployed build"), read from the file
 * at test time and run by `sh` as a reader would paste it, with the real curl, against a stack
 * that has only the demo account.
 */

const run = promisify(execFile);
const CLIENTS_DOC = readFileSync(fileURLToPath(new URL('../../docs/clients.md', import.meta.url)), 'utf8');
const seed = readSeedFile(fileURLToPath(new URL('../../local/demo-seed.json', import.meta.url)));
const account = seed.accounts[0]!;

function walkthrough(): string {
  const at = CLIENTS_DOC.indexOf('## curl: from nothing to a deployed build\n');
  const block = at < 0 ? undefined : /```sh\n([\s\S]*?)```/.exec(CLIENTS_DOC.slice(at))?.[1];
  if (!block) throw new Error('docs/clients.md has no curl walk-through');
  return block;
}

let stack: LocalStack;
let workDir: string;
beforeAll(async () => {
  stack = await startTestStack({ seed: { ...seed, services: [], functions: [], assets: [], function_versions: [], asset_versions: [] } });
  workDir = mkdtempSync(join(tmpdir(), 'curl-walkthrough-'));
});
afterAll(async () => {
  await stack?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("docs/clients.md's curl walk-through", () => {
  it('creates a service, a function and an asset, uploads their versions, builds, waits and deploys', async () => {
    const { stdout } = await run('sh', ['-c', walkthrough()], {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', API: stack.baseUrl, TWILIO_ACCOUNT_SID: account.sid, TWILIO_AUTH_TOKEN: account.auth_token },
      timeout: 30_000,
    });
    const [deploymentLine, contentLine] = stdout.split('\n');
    const deployment = JSON.parse(deploymentLine!);
    expect(bodyProblems('CreateDeployment', 201, deployment, { closed: true })).toEqual([]);
    const content = JSON.parse(contentLine!);
    expect(bodyProblems('FetchFunctionVersionContent', 200, content, { closed: true })).toEqual([]);
    expect(content.content).toBe('exports.handler = (context, event, callback) => callback(null, "Hello!");\n');

    const headers = { authorization: basicAuth(account) };
    const environment = await (
      await fetch(`${stack.baseUrl}/v1/Services/${deployment.service_sid}/Environments/${deployment.environment_sid}`, { headers })
    ).json();
    expect(environment.build_sid).toBe(deployment.build_sid);
    const build = await (await fetch(`${stack.baseUrl}/v1/Services/${deployment.service_sid}/Builds/${deployment.build_sid}`, { headers })).json();
    expect(build.status).toBe('completed');
    expect(build.asset_versions.map((version: { path: string }) => version.path)).toEqual(['/logo.txt']);
  });
});
