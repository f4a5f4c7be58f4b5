import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambda/store/keys';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, ASSET_VERSIONS, FUNCTION_VERSIONS, OTHER_ACCOUNT, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import { buildsUrl, createBuild, request, startTestStack } from '../support/stack';

const BUILD_WAIT_SECONDS = 1;
let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({ buildWaitSeconds: BUILD_WAIT_SECONDS });
});
afterAll(async () => {
  await stack?.stop();
});

async function newBuild(form: Record<string, string | string[]> = {}) {
  const response = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]!, ...form });
  expect(response.status).toBe(201);
  return (await response.json()) as { sid: string; url: string; links: { build_status: string }; runtime: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls Build Status every 250 ms, as a deploy tool would, until it is no longer `building`. */
async function pollStatus(statusUrl: string, limitMs: number): Promise<{ status: string; elapsedMs: number }> {
  const started = Date.now();
  for (;;) {
    const response = await request(statusUrl);
    expect(response.status).toBe(200);
    const { status } = await response.json();
    const elapsedMs = Date.now() - started;
    if (status !== 'building' || elapsedMs > limitMs) return { status, elapsedMs };
    await sleep(250);
  }
}

const storedBuild = async (sid: string) =>
  (await stack.documentClient.send(new GetCommand({ TableName: stack.tableName, Key: keys.build(SERVICE, sid) }))).Item;

describe('the build workflow', () => {
  it(`completes a build within BUILD_WAIT_SECONDS + 1 s`, async () => {
    const build = await newBuild();
    const { status, elapsedMs } = await pollStatus(build.links.build_status, (BUILD_WAIT_SECONDS + 1) * 1000);
    expect(status).toBe('completed');
    expect(elapsedMs).toBeLessThanOrEqual((BUILD_WAIT_SECONDS + 1) * 1000);
    const fetched = await (await request(build.url)).json();
    expect(fetched.status).toBe('completed');
    expect(Date.parse(fetched.date_updated)).toBeGreaterThanOrEqual(Date.parse(fetched.date_created));
  });

  it("starts one execution per build from the table's stream (named after its SID locally)", async () => {
    const build = await newBuild();
    const execution = await stack.stepFunctions.whenStarted(build.sid);
    expect(execution.name).toBe(build.sid);
    await stack.stepFunctions.drain();
    // Started once: a second start of the same name would have replaced the record.
    expect(stack.stepFunctions.executions.get(build.sid)).toBe(execution);
  });

  it.each(['node8', 'node14', 'node18'])('fails a build on the retired runtime %s with error 82007 on the item', async (runtime) => {
    const build = await newBuild({ Runtime: runtime });
    const { status } = await pollStatus(build.links.build_status, 3000);
    expect(status).toBe('failed');
    await (await stack.stepFunctions.whenStarted(build.sid)).done;
    expect(await storedBuild(build.sid)).toMatchObject({
      status: 'failed',
      error_code: 82007,
      error_message: `Unsupported Runtime: ${runtime} has been retired`,
    });
    expect(stack.stepFunctions.executions.get(build.sid)).toMatchObject({ status: 'FAILED', error: 'Twilio.82007' });
  });

  it('never resurrects a build deleted during the wait', async () => {
    const build = await newBuild();
    const deleted = await request(build.url, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    await (await stack.stepFunctions.whenStarted(build.sid)).done;
    expect(stack.stepFunctions.executions.get(build.sid)?.status).toBe('SUCCEEDED');
    expect(await storedBuild(build.sid)).toBeUndefined();
    expect((await request(build.url)).status).toBe(404);
    expect((await request(build.links.build_status)).status).toBe(404);
  });

  it("defaults Runtime to the service's most recent completed build's", async () => {
    const build = await newBuild({ Runtime: 'node20' });
    await (await stack.stepFunctions.whenStarted(build.sid)).done;
    expect((await newBuild()).runtime).toBe('node20');
    const latest = await newBuild({ Runtime: 'node24' });
    await (await stack.stepFunctions.whenStarted(latest.sid)).done;
    expect((await newBuild()).runtime).toBe('node24');
  });
});

describe('GET /v1/Services/{ServiceSid}/Builds/{Sid}', () => {
  it('answers 200 with the Build', async () => {
    const build = await newBuild({ Dependencies: '[{"name":"lodash","version":"4.17.21"}]' });
    const response = await request(build.url);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sid: build.sid, dependencies: [{ name: 'lodash', version: '4.17.21' }], url: build.url });
  });

  it("answers 404 for a missing build, a malformed SID, another service's or another account's", async () => {
    const build = await newBuild();
    for (const [url, account] of [
      [`${buildsUrl(stack)}/ZB${'0'.repeat(32)}`, ACCOUNT],
      [`${buildsUrl(stack)}/ZB123`, ACCOUNT],
      [`${buildsUrl(stack, OTHER_SERVICE)}/${build.sid}`, ACCOUNT],
      [`${buildsUrl(stack, OTHER_SERVICE)}/${build.sid}`, OTHER_ACCOUNT],
      [build.url, OTHER_ACCOUNT],
    ] as const) {
      const response = await request(url, { account });
      expect(response.status, url).toBe(404);
      expect(await response.json()).toMatchObject({ code: 20404, status: 404 });
    }
  });
});

describe('GET /v1/Services/{ServiceSid}/Builds/{Sid}/Status', () => {
  it('answers {sid, account_sid, service_sid, status, url}', async () => {
    const build = await newBuild();
    const body = await (await request(build.links.build_status)).json();
    expect(body).toEqual({ sid: build.sid, account_sid: ACCOUNT.sid, service_sid: SERVICE, status: 'building', url: build.links.build_status });
  });

  it('answers 404 to another account', async () => {
    const build = await newBuild();
    expect((await request(build.links.build_status, { account: OTHER_ACCOUNT })).status).toBe(404);
  });

  it('answers 401 to a wrong auth token for the right account', async () => {
    const build = await newBuild();
    expect((await request(build.links.build_status, { account: { ...ACCOUNT, auth_token: OTHER_ACCOUNT.auth_token } })).status).toBe(401);
  });

  it("answers 404 to the build's SID under another service, the caller's or not", async () => {
    const build = await newBuild();
    const elsewhere = build.links.build_status.replace(SERVICE, OTHER_SERVICE);
    expect((await request(elsewhere)).status).toBe(404);
    expect((await request(elsewhere, { account: OTHER_ACCOUNT })).status).toBe(404);
  });
});

describe('a build stored before the compact version entries', () => {
  it('renders from its whole version copies as a new build renders', async () => {
    const fresh = await newBuild({ AssetVersions: ASSET_VERSIONS[0]! });
    const item = (await storedBuild(fresh.sid))!;
    const body = await (await request(fresh.url)).json();
    const legacySid = fresh.sid.replace(/.{4}$/, 'feed');
    // The shape builds had until 2026-12-02: each version as its item's rendered fields.
    const legacyVersions = (versions: Record<string, string>[], owner: 'function_sid' | 'asset_sid') =>
      versions.map((version) => ({
        sid: version.sid,
        account_sid: ACCOUNT.sid,
        service_sid: SERVICE,
        [owner]: version[owner],
        path: version.path,
        visibility: (version.visibility as string).toLowerCase(),
        date_created: version.date_created,
      }));
    await stack.documentClient.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...item,
          ...keys.build(SERVICE, legacySid),
          sid: legacySid,
          function_versions: legacyVersions(body.function_versions, 'function_sid'),
          asset_versions: legacyVersions(body.asset_versions, 'asset_sid'),
        },
      }),
    );
    const legacy = await (await request(fresh.url.replace(fresh.sid, legacySid))).json();
    expect(body.function_versions).toHaveLength(1);
    expect(body.asset_versions).toHaveLength(1);
    expect(legacy.function_versions).toEqual(body.function_versions);
    expect(legacy.asset_versions).toEqual(body.asset_versions);
  });
});

describe('DELETE /v1/Services/{ServiceSid}/Builds/{Sid}', () => {
  it('answers 404 to another account and leaves the build', async () => {
    const build = await newBuild();
    expect((await request(build.url, { method: 'DELETE', account: OTHER_ACCOUNT })).status).toBe(404);
    expect(await storedBuild(build.sid)).toBeDefined();
  });

  it('answers 404 the second time', async () => {
    const build = await newBuild();
    expect((await request(build.url, { method: 'DELETE' })).status).toBe(204);
    expect((await request(build.url, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('unknown paths and methods', () => {
  it.each(['/v1/Servicez', '/v2/Services/ZS11111111111111111111111111111111/Builds', '/', `/v1/Services/${SERVICE}/Builds/ZB${'0'.repeat(32)}/Logs`])(
    'answers 404 / 20404 to GET %s',
    async (path) => {
      const response = await request(`${stack.baseUrl}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 20404, status: 404 });
    },
  );

  it.each([
    ['PATCH', ''],
    ['POST', `/ZB${'0'.repeat(32)}`],
    ['DELETE', `/ZB${'0'.repeat(32)}/Status`],
  ])('answers 405 / 20004 to %s on a known path', async (method, suffix) => {
    const response = await request(`${buildsUrl(stack)}${suffix}`, { method });
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ code: 20004, status: 405 });
  });
});
