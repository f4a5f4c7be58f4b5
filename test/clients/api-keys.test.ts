import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { accountsCommand } from '../../scripts/accounts';
import { run, runInProcess, runScript } from '../support/cli';
import { ACCOUNT, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import { startTestStack } from '../support/stack';
import { localToolkitClient } from '../support/toolkit';
import { expectRestException, rejection } from '../support/twilio-node';

/**
 * Accounts and API keys made with `npm run accounts` (scripts/accounts.ts) work at once against
 * the local stack with the real curl, twilio-node and Twilio's serverless toolkit; a revoked key
 * and a rotated token get 401 on the next request; nothing secret is stored in clear. The first
 * account is made by the script in a process of its own (`tsx scripts/accounts.ts`, what `npm run
 * accounts` runs); the other commands run the same command (`accountsCommand`) in this process.
 */

const FIXTURE = fileURLToPath(new URL('../fixtures/toolkit-project', import.meta.url));

let stack: LocalStack;
let project: string;
beforeAll(async () => {
  stack = await startTestStack();
  project = mkdtempSync(join(tmpdir(), 'api-key-project-'));
  cpSync(FIXTURE, project, { recursive: true });
});
afterAll(async () => {
  await stack?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** The environment `npm run accounts` is given: this file's table on the run's DynamoDB Local. */
const accountsEnv = () => ({ DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint'), TABLE_NAME: stack.tableName });

/** `npm run accounts -- …`, in this process, with TABLE_NAME and DYNAMODB_ENDPOINT set as `accountsEnv` says. */
async function accountsCli(args: string[]) {
  Object.assign(process.env, accountsEnv());
  return runInProcess(accountsCommand, args);
}

/** Runs a command that must succeed with --json, and returns its JSON. */
async function accounts<T = Record<string, string>>(...args: string[]): Promise<T> {
  const result = await accountsCli([...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** The real curl, with no ~/.curlrc: the response body and the status code. */
async function curl(user: string, path: string, ...args: string[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const result = await run('curl', ['-q', '-sS', '-u', user, '-w', '\n%{http_code}', ...args, `${stack.baseUrl}${path}`]);
  expect(result.code, result.stderr).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, body: lines.join('\n') ? JSON.parse(lines.join('\n')) : {} };
}

const serverlessClient = (username: string, password: string, accountSid: string) => {
  const client = twilio(username, password, { accountSid });
  client.serverless.baseUrl = stack.baseUrl;
  return client.serverless.v1;
};

describe('npm run accounts: a new account and API key work at once', () => {
  let account: { sid: string; auth_token: string };
  let key: { sid: string; secret: string; account_sid: string };

  it('create (the script itself, as npm run accounts runs it) prints an AC SID and a token once; create-key an SK SID and a secret; curl authenticates with both', async () => {
    const made = await runScript('scripts/accounts.ts', ['create', '--name', 'Platform team', '--json'], accountsEnv());
    expect(made.code, made.stderr).toBe(0);
    account = JSON.parse(made.stdout);
    expect(account).toMatchObject({
      sid: expect.stringMatching(/^AC[0-9a-f]{32}$/),
      auth_token: expect.stringMatching(/^[0-9a-f]{32}$/),
      friendly_name: 'Platform team',
    });
    key = await accounts('create-key', account.sid, '--name', 'CI');
    expect(key).toMatchObject({ sid: expect.stringMatching(/^SK[0-9a-f]{32}$/), secret: expect.stringMatching(/^[0-9a-f]{32}$/), account_sid: account.sid });

    const withToken = await curl(`${account.sid}:${account.auth_token}`, '/v1/Services');
    expect(withToken.status).toBe(200);
    const created = await curl(`${key.sid}:${key.secret}`, '/v1/Services', '--data-urlencode', 'UniqueName=by-key', '--data-urlencode', 'FriendlyName=By key');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ account_sid: account.sid, unique_name: 'by-key' });
    const listed = await curl(`${key.sid}:${key.secret}`, '/v1/Services');
    expect((listed.body.services as { unique_name: string }[]).map((service) => service.unique_name)).toEqual(['by-key']);
  });

  it('twilio-node authenticates as twilio(keySid, keySecret, { accountSid })', async () => {
    const serverless = serverlessClient(key.sid, key.secret, account.sid);
    const service = await serverless.services.create({ uniqueName: 'node-by-key', friendlyName: 'twilio-node' });
    expect(service.accountSid).toBe(account.sid);
    const fn = await serverless.services(service.sid).functions.create({ friendlyName: 'hello' });
    expect(fn.accountSid).toBe(account.sid);
    expect((await serverless.services.list()).map((listed) => listed.uniqueName)).toEqual(['by-key', 'node-by-key']);
  });

  it("Twilio's serverless toolkit deploys a whole project with the API key (username SK…, password secret)", async () => {
    // No `accountSid` in the toolkit's config: with it, the toolkit sends the deprecated accountSid:authToken pair instead.
    const credentials = { username: key.sid, password: key.secret };
    const { client, traffic } = localToolkitClient(credentials, stack.baseUrl);
    const result = await client.deployLocalProject({
      ...credentials,
      cwd: project,
      envPath: join(project, '.env'),
      env: { GREETING: 'hi' },
      pkgJson: JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')),
      serviceName: 'toolkit-by-key',
      functionsEnv: 'dev',
    });
    expect(result.serviceSid).toMatch(/^ZS[0-9a-f]{32}$/);
    expect(result.buildSid).toMatch(/^ZB[0-9a-f]{32}$/);
    expect(traffic.statuses.every((status) => status < 300)).toBe(true);
    expect(traffic.problems).toEqual([]);
    const environment = await curl(`${account.sid}:${account.auth_token}`, `/v1/Services/${result.serviceSid}/Environments/${result.environmentSid}`);
    expect(environment.body).toMatchObject({ account_sid: account.sid, build_sid: result.buildSid });
  });

  it("a key of one account cannot reach another account's services (404, as with its token)", async () => {
    const theirs = await curl(`${key.sid}:${key.secret}`, `/v1/Services/${SERVICE}`);
    expect(theirs.status).toBe(404);
    const theirBuilds = await curl(`${key.sid}:${key.secret}`, `/v1/Services/${OTHER_SERVICE}/Builds`);
    expect(theirBuilds.status).toBe(404);
    // Naming another account in twilio-node changes nothing: the key's account is the caller.
    const error = await rejection(serverlessClient(key.sid, key.secret, ACCOUNT.sid).services(SERVICE).fetch());
    expectRestException(error, 404, 20404);
  });

  it('a wrong secret, or a key SID that was never issued, gets 401', async () => {
    expect((await curl(`${key.sid}:${'0'.repeat(32)}`, '/v1/Services')).status).toBe(401);
    expect((await curl(`SK${'0'.repeat(32)}:${key.secret}`, '/v1/Services')).status).toBe(401);
    // The key's secret is not the account's token either.
    expect((await curl(`${account.sid}:${key.secret}`, '/v1/Services')).status).toBe(401);
  });

  it('list and list-keys show no secrets, and the table holds none in clear', async () => {
    const listed = await accountsCli(['list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(account.sid);
    const keys = await accounts<{ sid: string }[]>('list-keys', account.sid);
    expect(keys.map((listedKey) => listedKey.sid)).toEqual([key.sid]);
    const everything = JSON.stringify([listed.stdout, keys]);
    const { Items = [] } = await stack.documentClient.send(new ScanCommand({ TableName: stack.tableName }));
    const table = JSON.stringify(Items);
    expect(table).toContain(key.sid);
    for (const secret of [account.auth_token, key.secret]) {
      expect(everything).not.toContain(secret);
      expect(table).not.toContain(secret);
    }
  });

  it('a request with the token makes one BatchGetItem; with the key, one strongly consistent GetItem of the key item first', async () => {
    // The handlers' own client, imported after the stack set their environment (as they are).
    const { dynamoDb: handlersDynamoDb } = await import('../../lambda/store/client');
    const seen: string[] = [];
    handlersDynamoDb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { ConsistentRead?: boolean; Key?: { PK?: string | { S?: string } } };
        const partition = typeof input.Key?.PK === 'string' ? input.Key.PK : input.Key?.PK?.S;
        seen.push(`${context.commandName}${input.ConsistentRead ? ' consistent' : ''}${partition ? ` ${partition}` : ''}`);
        return next(args);
      },
      { step: 'initialize', name: 'apiKeyTestCount' },
    );
    try {
      const service = (await curl(`${key.sid}:${key.secret}`, '/v1/Services/by-key')).body.sid as string;
      seen.length = 0;
      expect((await curl(`${account.sid}:${account.auth_token}`, `/v1/Services/${service}`)).status).toBe(200);
      expect(seen).toEqual(['BatchGetItemCommand']);
      seen.length = 0;
      expect((await curl(`${key.sid}:${key.secret}`, `/v1/Services/${service}`)).status).toBe(200);
      expect(seen).toEqual([`GetItemCommand consistent APIKEY#${key.sid}`, 'BatchGetItemCommand']);
    } finally {
      handlersDynamoDb.middlewareStack.remove('apiKeyTestCount');
    }
  });

  it('revoke-key: the very next request with the key gets 401 (curl and twilio-node)', async () => {
    const serverless = serverlessClient(key.sid, key.secret, account.sid);
    expect((await serverless.services.list()).length).toBe(3);
    const revoked = await accounts('revoke-key', key.sid);
    expect(revoked).toMatchObject({ sid: key.sid, revoked: true });
    expect((await curl(`${key.sid}:${key.secret}`, '/v1/Services')).status).toBe(401);
    expectRestException(await rejection(serverless.services.list()), 401, 20003);
    expect(await accounts<unknown[]>('list-keys', account.sid)).toEqual([]);
  });

  it('rotate-token: the old token gets 401 at once, the new one works', async () => {
    const rotated = await accounts('rotate-token', account.sid);
    expect(rotated.auth_token).toMatch(/^[0-9a-f]{32}$/);
    expect(rotated.auth_token).not.toBe(account.auth_token);
    expect((await curl(`${account.sid}:${account.auth_token}`, '/v1/Services')).status).toBe(401);
    expect((await curl(`${account.sid}:${rotated.auth_token}`, '/v1/Services')).status).toBe(200);
  });
});

describe('npm run accounts: usage and failures', () => {
  it.each([
    ['no command', []],
    ['an unknown command', ['delete-everything']],
    ['create-key without an account', ['create-key']],
    ['create-key with a malformed account SID', ['create-key', 'AC123']],
    ['revoke-key with an account SID', ['revoke-key', ACCOUNT.sid]],
    ['an extra argument', ['list', 'extra']],
    ['an unknown option', ['list', '--force']],
  ])('exits 2 with the usage line on %s', async (_, args) => {
    const result = await accountsCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: npm run accounts -- <command>');
  });

  it('exits 1 naming what is missing: a key for no such account, revoking no such key, rotating no such account', async () => {
    const missingAccount = `AC${'9'.repeat(32)}`;
    for (const args of [
      ['create-key', missingAccount],
      ['rotate-token', missingAccount],
      ['revoke-key', `SK${'9'.repeat(32)}`],
    ]) {
      const result = await accountsCli(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toMatch(/^accounts: No (account|API key) (AC|SK)9{32}\./);
    }
  });
});
