import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth, FUNCTION_VERSIONS, OTHER_ACCOUNT } from '../support/fixtures';
import { buildItems, buildsUrl, createBuild, request, startTestStack } from '../support/stack';

let stack: LocalStack;
const captured: string[] = [];
const writes = { stdout: process.stdout.write, stderr: process.stderr.write };

beforeAll(async () => {
  // Everything the handlers log, at the most verbose level, goes through these streams.
  for (const stream of ['stdout', 'stderr'] as const) {
    process[stream].write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      captured.push(String(chunk));
      return writes[stream].call(process[stream], chunk, ...rest);
    }) as typeof process.stdout.write;
  }
  stack = await startTestStack({ env: { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_LOGGER_LOG_EVENT: 'false' } });
});
afterAll(async () => {
  process.stdout.write = writes.stdout;
  process.stderr.write = writes.stderr;
  await stack?.stop();
});

describe('secrets', () => {
  it('never stores an auth token, nor logs it or the Authorization header', async () => {
    await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! });
    await createBuild(stack, { FunctionVersions: 'bad' });
    await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! }, { account: { ...ACCOUNT, auth_token: 'wrong-token-wrong-token' } });
    // An unexpected failure: its cause is logged.
    const { documentClient } = await import('../../lambda/store/client');
    const send = vi.spyOn(documentClient, 'send').mockRejectedValueOnce(new Error('unexpected failure of the store'));
    expect((await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! })).status).toBe(500);
    send.mockRestore();

    const items = JSON.stringify((await stack.documentClient.send(new ScanCommand({ TableName: stack.tableName }))).Items);
    expect(items).toContain(ACCOUNT.sid); // the scan did read the accounts...
    for (const secret of [ACCOUNT.auth_token, OTHER_ACCOUNT.auth_token]) expect(items).not.toContain(secret); // ...but no token

    const logs = captured.join('');
    expect(logs).toContain('unexpected failure of the store'); // the capture did see the handler logs...
    for (const secret of [ACCOUNT.auth_token, 'wrong-token-wrong-token', basicAuth(ACCOUNT).slice('Basic '.length)]) {
      expect(logs).not.toContain(secret); // ...and no secret in them
    }
  });
});

describe('requests that must write nothing', () => {
  it("refuses without credentials, with a wrong token, and on another account's service", async () => {
    const count = async () => ((await stack.documentClient.send(new ScanCommand({ TableName: stack.tableName }))).Items ?? []).length;
    // The earlier builds' workflows write their hour's count and status: let them finish first.
    await vi.waitFor(async () => expect((await buildItems(stack)).filter((build) => build.status === 'building')).toEqual([]), {
      timeout: 20_000,
      interval: 200,
    });
    const before = await count();
    const noAuth = await fetch(buildsUrl(stack), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `FunctionVersions=${FUNCTION_VERSIONS[0]}`,
    });
    expect(noAuth.status).toBe(401);
    expect(
      (await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! }, { account: { ...ACCOUNT, auth_token: OTHER_ACCOUNT.auth_token } })).status,
    ).toBe(401);
    expect((await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! }, { account: OTHER_ACCOUNT })).status).toBe(404);
    expect((await request(`${buildsUrl(stack)}?PageSize=5`, { account: OTHER_ACCOUNT })).status).toBe(404);
    expect(await count()).toBe(before);
  });

  it.each([
    ['a body of 300 KiB', `FunctionVersions=${FUNCTION_VERSIONS[0]}&x=${'a'.repeat(300 * 1024)}`, 413],
    ['more keys than any build needs', Array.from({ length: 1200 }, () => `AssetVersions=${FUNCTION_VERSIONS[0]}`).join('&'), 400],
    ['1,001 asset versions', Array.from({ length: 1001 }, () => `AssetVersions=${FUNCTION_VERSIONS[0]}`).join('&'), 400],
    ['a lone percent sign', 'FunctionVersions=%', 400],
    ['invalid UTF-8', 'FunctionVersions=%ff%fe', 400],
    ['a NUL byte', `FunctionVersions=${FUNCTION_VERSIONS[0]}%00`, 400],
  ])('answers 4xx to %s, and writes nothing', async (_, body, status) => {
    const before = ((await stack.documentClient.send(new ScanCommand({ TableName: stack.tableName }))).Items ?? []).length;
    const response = await fetch(buildsUrl(stack), {
      method: 'POST',
      headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(response.status).toBe(status);
    expect(((await stack.documentClient.send(new ScanCommand({ TableName: stack.tableName }))).Items ?? []).length).toBe(before);
  });
});
