import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeedFile } from '../../local/seed';
import type { LocalStack } from '../../local/stack';
import { accountsCommand } from '../../scripts/accounts';
import { runInProcess } from '../support/cli';
import { startTestStack } from '../support/stack';

const run = promisify(execFile);
/** The first ```js block under a heading of a doc (a path from the project root), as a reader would copy it. */
function jsExample(doc: string, heading: string): string {
  const text = readFileSync(fileURLToPath(new URL(`../../${doc}`, import.meta.url)), 'utf8');
  const at = text.indexOf(`${heading}\n`);
  if (at < 0) throw new Error(`${doc} has no heading ${heading}`);
  const block = /```js\n([\s\S]*?)```/.exec(text.slice(at))?.[1];
  if (!block) throw new Error(`${doc} has no js example under ${heading}`);
  return block;
}

let stack: LocalStack;
const seed = readSeedFile(fileURLToPath(new URL('../../local/demo-seed.json', import.meta.url)));
beforeAll(async () => {
  stack = await startTestStack({ seed });
});
afterAll(async () => {
  await stack?.stop();
});

/** Runs an example as `node example.mjs` from the project root (so its imports resolve), with the docs' variables. */
async function runExample(code: string, env: Record<string, string> = {}): Promise<string> {
  const file = fileURLToPath(new URL(`../../.readme-example-${randomUUID()}.mjs`, import.meta.url));
  writeFileSync(file, code);
  try {
    const { stdout } = await run(process.execPath, [file], {
      env: {
        ...process.env,
        API: stack.baseUrl,
        TWILIO_ACCOUNT_SID: seed.accounts[0]!.sid,
        TWILIO_AUTH_TOKEN: seed.accounts[0]!.auth_token,
        SERVICE_SID: seed.services[0]!.sid,
        ...env,
      },
      timeout: 60_000,
    });
    return stdout;
  } finally {
    rmSync(file, { force: true });
  }
}

describe("the README's and the docs' examples, run as copied", () => {
  it('twilio-node: creates, polls to completed, lists, removes, then gets a RestException 404 / 20404', async () => {
    const output = await runExample(jsExample('docs/clients.md', '## twilio-node'));
    expect(output).toMatch(/^ZB[0-9a-f]{32} building$/m);
    expect(output).toMatch(/^completed$/m);
    expect(output).toMatch(/^true$/m);
    expect(output).toContain('404 20404 https://www.twilio.com/docs/errors/20404');
  });

  it("Twilio's serverless toolkit: deploys a project to a new service and promotes it to production", async () => {
    const output = await runExample(jsExample('README.md', "## Deploy a Functions project with Twilio's serverless toolkit"));
    expect(output).toMatch(/^ZS[0-9a-f]{32} ZE[0-9a-f]{32} ZB[0-9a-f]{32}$/m);
    expect(output).toMatch(/^readme-\d+-\d{4}-dev\.localhost$/m);
    expect(output).toMatch(/^true readme-\d+-\d{4}\.localhost$/m);
  });

  it("API keys: twilio-node with an API key made by npm run accounts lists the account's services", async () => {
    // The command npm run accounts runs, in this process (its process is tested in api-keys.test.ts).
    Object.assign(process.env, { DYNAMODB_ENDPOINT: stack.dynamoDbEndpoint, TABLE_NAME: stack.tableName });
    const created = await runInProcess(accountsCommand, ['create-key', seed.accounts[0]!.sid, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { sid: string; secret: string };
    const output = await runExample(jsExample('docs/accounts-and-api-keys.md', '## Authenticating with an API key'), {
      TWILIO_API_KEY: key.sid,
      TWILIO_API_SECRET: key.secret,
      TWILIO_AUTH_TOKEN: '',
    });
    expect(output.trim().split(' ')).toContain(seed.services[0]!.unique_name);
  });
});
