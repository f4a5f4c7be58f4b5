import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Account } from '../../lambda/domain/model';
import { authenticate } from '../../lambda/http/auth';
import { parseSeed } from '../../local/seed';
import { startLocalStack } from '../../local/stack';
import { ensureTable } from '../../local/table';
import { seedCommand } from '../../scripts/seed';
import { run, runInProcess } from '../support/cli';

const ACCOUNT = { sid: 'AC33333333333333333333333333333333', auth_token: 'seedclitoken0123456789abcdef0123' };
const SERVICE = 'ZS33333333333333333333333333333333';
const FUNCTION_VERSION = 'ZN33333333333333333333333333333301';
const ASSET_VERSION = 'ZN33333333333333333333333333333302';
const seed = {
  accounts: [ACCOUNT],
  services: [{ sid: SERVICE, account_sid: ACCOUNT.sid, unique_name: 'seeded', friendly_name: 'Seeded' }],
  functions: [{ sid: 'ZH33333333333333333333333333333301', service_sid: SERVICE, friendly_name: 'hello' }],
  function_versions: [{ sid: FUNCTION_VERSION, function_sid: 'ZH33333333333333333333333333333301', path: '/hello', visibility: 'public' }],
  assets: [{ sid: 'ZH33333333333333333333333333333302', service_sid: SERVICE, friendly_name: 'logo' }],
  asset_versions: [{ sid: ASSET_VERSION, asset_sid: 'ZH33333333333333333333333333333302', path: '/logo.png', visibility: 'public' }],
};
/** Account, service and its unique-name reservation, function, asset and their versions. */
const SEED_ITEMS = 7;

/**
 * `npm run seed -- …` in this process (the same command, `seedCommand`), with DYNAMODB_ENDPOINT on
 * the run's DynamoDB Local and no TABLE_NAME unless given; the environment is put back after.
 */
async function seedCli(args: string[], env: Record<string, string> = {}) {
  const saved = { DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT, TABLE_NAME: process.env.TABLE_NAME };
  delete process.env.TABLE_NAME;
  Object.assign(process.env, { DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint'), ...env });
  try {
    return await runInProcess(seedCommand, args);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

let dir: string;
let dynamoDb: DynamoDBClient;
let documentClient: DynamoDBDocumentClient;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seed-cli-'));
  dynamoDb = new DynamoDBClient({ endpoint: inject('dynamoDbEndpoint') });
  documentClient = DynamoDBDocumentClient.from(dynamoDb);
});
afterAll(() => {
  dynamoDb?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a seed file: JSON of the value, or a string as it is. */
function seedFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function newTable(): Promise<string> {
  const tableName = `seed-${randomUUID()}`;
  await ensureTable(dynamoDb, tableName);
  return tableName;
}

async function scan(tableName: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await documentClient.send(new ScanCommand({ TableName: tableName }));
  return Items.sort((a, b) => `${a.PK}|${a.SK}`.localeCompare(`${b.PK}|${b.SK}`));
}

const withoutTokenHash = ({ auth_token_salt: _salt, auth_token_hash: _hash, ...rest }: Record<string, unknown>) => rest;

// One after the other: the in-process runs set TABLE_NAME and DYNAMODB_ENDPOINT in this process's environment.
describe('npm run seed -- --file <seed.json> [--table <name>]', () => {
  it('loads a seed twice with the same result, and its account then creates a build over HTTP', async () => {
    const tableName = await newTable();
    const file = seedFile('good.json', seed);

    const first = await run('npm', ['run', '--silent', 'seed', '--', '--file', file, '--table', tableName], { DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint') }, [
      'TABLE_NAME',
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Loaded ${SEED_ITEMS} items from ${file} into table ${tableName}`);
    const once = await scan(tableName);
    expect(once).toHaveLength(SEED_ITEMS);

    // Again, the table named by TABLE_NAME this time.
    const second = await seedCli(['--file', file], { TABLE_NAME: tableName });
    expect(second.code, second.stderr).toBe(0);
    const twice = await scan(tableName);
    expect(twice.map(withoutTokenHash)).toEqual(once.map(withoutTokenHash));

    // No token in the table, only its salted hash, which the token still matches.
    const account = twice.find((item) => item.SK === 'ACCOUNT') as Account & Record<string, unknown>;
    expect(JSON.stringify(twice)).not.toContain(ACCOUNT.auth_token);
    expect(() => authenticate({ accountSid: ACCOUNT.sid, authToken: ACCOUNT.auth_token }, account)).not.toThrow();
    expect(() => authenticate({ accountSid: ACCOUNT.sid, authToken: 'not-the-token-0123456789' }, account)).toThrow();

    const stack = await startLocalStack({ dynamoDbEndpoint: inject('dynamoDbEndpoint'), tableName, seed: parseSeed({}), buildWaitSeconds: 1 });
    try {
      const response = await fetch(`${stack.baseUrl}/v1/Services/${SERVICE}/Builds`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.auth_token}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ FunctionVersions: FUNCTION_VERSION, AssetVersions: ASSET_VERSION }),
      });
      const build = (await response.json()) as { sid: string; status: string; function_versions: { sid: string }[] };
      expect(response.status, JSON.stringify(build)).toBe(201);
      expect(build).toMatchObject({ status: 'building', function_versions: [{ sid: FUNCTION_VERSION }] });
      await stack.stepFunctions.drain();
      expect([...stack.stepFunctions.executions.values()].map((execution) => execution.status)).toEqual(['SUCCEEDED']);
    } finally {
      await stack.stop();
    }
  });

  it('rejects a malformed seed, naming the entry, and writes nothing', async () => {
    const tableName = await newTable();
    const badVisibility = structuredClone(seed);
    badVisibility.function_versions[0]!.visibility = 'secret';
    const invalid = await seedCli(['--file', seedFile('bad-visibility.json', badVisibility), '--table', tableName]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('Invalid seed: function_versions[0].visibility');

    const dangling = structuredClone(seed);
    dangling.asset_versions[0]!.asset_sid = 'ZH33333333333333333333333333333399';
    const unknownParent = await seedCli(['--file', seedFile('dangling.json', dangling), '--table', tableName]);
    expect(unknownParent.code).toBe(1);
    expect(unknownParent.stderr).toContain('asset_versions[0].asset_sid refers to asset ZH33333333333333333333333333333399');

    const notJson = await seedCli(['--file', seedFile('not-json.json', '{'), '--table', tableName]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('Cannot read seed file');

    expect(await scan(tableName)).toEqual([]);
  });

  it('fails with a clear message on a missing table, and without any table name', async () => {
    const file = seedFile('good.json', seed);
    const missing = await seedCli(['--file', file, '--table', 'no-such-table']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Table "no-such-table" does not exist');

    const unnamed = await seedCli(['--file', file]);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('--table');
    expect(unnamed.stderr).toContain('TABLE_NAME');
  });
});
