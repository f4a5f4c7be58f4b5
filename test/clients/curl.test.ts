import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeedFile, type Seed } from '../../local/seed';
import type { LocalStack } from '../../local/stack';
import { bodyProblems, schemaProblems, twilioErrorProblems } from '../support/openapi';
import { startTestStack } from '../support/stack';

/**
 * The real `curl` binary against a stack seeded with local/demo-seed.json (the SIDs of Twilio's
 * doc examples). First Twilio's own Create Build doc example, read from the doc page at test time
 * and run by the shell as written, with only its URL and its --user credentials replaced; then
 * the curl commands of docs/clients.md ("curl"), byte for byte.
 */

const run = promisify(execFile);
const DOC_PAGE = fileURLToPath(new URL('../../../shared/seed/000_7c1bf1b555caf265.txt', import.meta.url));
const DEMO_SEED = fileURLToPath(new URL('../../local/demo-seed.json', import.meta.url));
const DOC_URL = 'https://serverless.twilio.com/v1/Services/{ServiceSid}/Builds';
const DOC_USER = '"username:password"';

let stack: LocalStack;
let seed: Seed;
let account: { sid: string; auth_token: string };
let serviceSid: string;
/** An empty curl config directory: a developer's ~/.curlrc cannot change what curl does here. */
let curlHome: string;

beforeAll(async () => {
  seed = readSeedFile(DEMO_SEED);
  account = seed.accounts[0]!;
  serviceSid = seed.services[0]!.sid;
  expect(serviceSid).toBe('ZS00000000000000000000000000000000');
  stack = await startTestStack({ seed });
  curlHome = mkdtempSync(join(tmpdir(), 'curl-home-'));
  // Output options only, from curl's config file so that the commands run exactly as written:
  // no progress meter, errors shown, and the HTTP status on a last line of its own.
  writeFileSync(join(curlHome, '.curlrc'), 'silent\nshow-error\nwrite-out = "\\n%{http_code}"\n');
});
afterAll(async () => {
  await stack?.stop();
  if (curlHome) rmSync(curlHome, { recursive: true, force: true });
});

interface CurlResult {
  status: number;
  text: string;
}

/** Runs a shell command line (as a reader would paste it) with the given environment. */
async function shell(command: string, env: Record<string, string> = {}): Promise<CurlResult> {
  const { stdout } = await run('sh', ['-c', command], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CURL_HOME: curlHome, ...env }, timeout: 10_000 });
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), text: stdout.slice(0, cut) };
}

/** The `curl \ …` command of the doc page: from the line `curl \` through its last continued line. */
function docCurlCommand(page: string): string {
  const lines = page.split('\n');
  const start = lines.findIndex((line) => line.trim() === 'curl \\');
  expect(start, 'the doc page has a curl example').toBeGreaterThanOrEqual(0);
  let end = start;
  while (lines[end]!.endsWith('\\')) end++;
  return lines.slice(start, end + 1).join('\n');
}

/** Replaces exactly one occurrence, so that a changed doc page fails loudly instead of running something else. */
function replaceOnce(text: string, search: string, replacement: string): string {
  expect(text.split(search).length - 1, `exactly one ${search} in the doc example`).toBe(1);
  return text.replace(search, () => replacement);
}

/** Twilio's doc pages write request examples as Ruby hashes: `{"Key"=>"value", …}`. */
const rubyHashToJson = (text: string): unknown => JSON.parse(text.replace(/"=>/g, '":'));

/** Replaces every date-time string by a placeholder, to compare bodies created at different times. */
const withoutDates = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (key, item: unknown) => (key.startsWith('date_') && typeof item === 'string' ? '<date>' : item));

describe("Twilio's Create Build doc example, run by curl", () => {
  it('answers 201 with a Build that validates against serverless.v1.service.build and matches the doc response example', async () => {
    const page = readFileSync(DOC_PAGE, 'utf8');
    const docCommand = docCurlCommand(page);
    const command = replaceOnce(
      replaceOnce(docCommand, DOC_URL, `${stack.baseUrl}/v1/Services/${serviceSid}/Builds`),
      DOC_USER,
      `"${account.sid}:${account.auth_token}"`,
    );
    // What changed: the URL and the credentials, nothing else.
    expect(command.split('\n').length).toBe(docCommand.split('\n').length);

    // The form the doc sends (its --data argument, as written) is the doc's own request example.
    const data = /--data '([^']*)'/.exec(docCommand)?.[1];
    expect(data, 'the doc example has a --data argument').toBeDefined();
    const sent = new URLSearchParams(data);
    const requestExample = rubyHashToJson(page.split('\nRequest example\n')[1]!.split('\n')[0]!) as {
      Dependencies: string;
      AssetVersions: string[];
      FunctionVersions: string[];
    };
    expect(sent.get('Dependencies')).toBe(requestExample.Dependencies);
    expect(sent.getAll('AssetVersions')).toEqual(requestExample.AssetVersions);
    expect(sent.getAll('FunctionVersions')).toEqual(requestExample.FunctionVersions);

    const { status, text } = await shell(command);
    expect(status, text).toBe(201);
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(schemaProblems('serverless.v1.service.build', body)).toEqual([]);
    expect(schemaProblems('serverless.v1.service.build', body, { closed: true })).toEqual([]);
    expect(bodyProblems('CreateBuild', 201, body)).toEqual([]);

    expect(body.dependencies).toEqual(JSON.parse(requestExample.Dependencies));
    // The doc's response example, with this build's SID and this API's base URL.
    const responseExample = JSON.parse(page.split('\nResponse examples (201)\n')[1]!) as Record<string, unknown>;
    const expected = JSON.parse(
      JSON.stringify(responseExample)
        .replaceAll('https://serverless.twilio.com', stack.baseUrl)
        .replaceAll(responseExample.sid as string, body.sid as string),
    );
    expect(withoutDates(body)).toEqual(withoutDates(expected));
  });
});

/**
 * The curl commands of docs/clients.md (its "curl" section), read from the file at test time so
 * that the test runs exactly what a reader copies.
 */
function documentedCurlCommands(): { create: string; status: string; list: string; delete: string } {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/clients.md', import.meta.url)), 'utf8');
  const at = doc.indexOf('## curl\n');
  if (at < 0) throw new Error('docs/clients.md has no curl section');
  const curlSection = doc.slice(at);
  const blocks = [...curlSection.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!.trim()).filter((block) => block.startsWith('curl'));
  const find = (test: (block: string) => boolean, what: string) => {
    const block = blocks.find(test);
    if (!block) throw new Error(`docs/clients.md has no curl command to ${what}`);
    return block;
  };
  return {
    create: find((block) => block.includes('--data-urlencode'), 'create a build'),
    status: find((block) => block.endsWith('/Status"'), 'read a status'),
    list: find((block) => block.includes('PageSize='), 'list builds'),
    delete: find((block) => block.includes('-X DELETE'), 'delete a build'),
  };
}
const DOCUMENTED = documentedCurlCommands();

describe("docs/clients.md's curl commands", () => {
  it('create, status (until completed), list and delete work as documented', async () => {
    const env = { API: stack.baseUrl, TWILIO_ACCOUNT_SID: account.sid, TWILIO_AUTH_TOKEN: account.auth_token, SERVICE_SID: serviceSid };

    const created = await shell(DOCUMENTED.create, env);
    expect(created.status, created.text).toBe(201);
    const build = JSON.parse(created.text) as Record<string, unknown>;
    expect(bodyProblems('CreateBuild', 201, build, { closed: true })).toEqual([]);
    expect(build).toMatchObject({ status: 'building', runtime: 'node22', dependencies: [{ name: 'twilio', version: '5.0.0' }] });
    const withBuild = { ...env, BUILD_SID: build.sid as string };

    const deadline = Date.now() + 10_000;
    let status: Record<string, unknown>;
    for (;;) {
      const response = await shell(DOCUMENTED.status, withBuild);
      expect(response.status, response.text).toBe(200);
      status = JSON.parse(response.text) as Record<string, unknown>;
      expect(bodyProblems('FetchBuildStatus', 200, status, { closed: true })).toEqual([]);
      if (status.status !== 'building' || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status.status).toBe('completed');

    const listed = await shell(DOCUMENTED.list, withBuild);
    expect(listed.status, listed.text).toBe(200);
    const list = JSON.parse(listed.text) as { builds: Array<{ sid: string }> };
    expect(bodyProblems('ListBuild', 200, list, { closed: true })).toEqual([]);
    expect(list.builds.map((entry) => entry.sid)).toContain(build.sid);

    const deleted = await shell(DOCUMENTED.delete, withBuild);
    expect(deleted).toEqual({ status: 204, text: '' });

    const gone = await shell(DOCUMENTED.status, withBuild);
    expect(gone.status).toBe(404);
    expect(twilioErrorProblems(JSON.parse(gone.text), 404, 20404)).toEqual([]);
  });

  it('wrong credentials get 401 / 20003', async () => {
    const response = await shell(DOCUMENTED.list, { API: stack.baseUrl, TWILIO_ACCOUNT_SID: account.sid, TWILIO_AUTH_TOKEN: 'wrong', SERVICE_SID: serviceSid });
    expect(response.status).toBe(401);
    expect(twilioErrorProblems(JSON.parse(response.text), 401, 20003)).toEqual([]);
  });
});
