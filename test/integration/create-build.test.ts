import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, ASSET_VERSIONS, basicAuth, FUNCTION_VERSIONS, OTHER_ACCOUNT, OTHER_FUNCTION_VERSION, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import { buildItems, buildsUrl, createBuild, request, startTestStack } from '../support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const TWILIO_ERROR_KEYS = ['code', 'message', 'more_info', 'status'];

/** Sends a request and asserts a Twilio-shaped error, and that no build was written by it (counted before it is sent). */
async function expectError(send: () => Promise<Response>, status: number, code: number, message?: RegExp) {
  const before = (await buildItems(stack)).length;
  const response = await send();
  const body = await response.json();
  expect(response.status).toBe(status);
  expect(Object.keys(body).sort()).toEqual(TWILIO_ERROR_KEYS);
  expect(body).toMatchObject({ code, status, more_info: `https://www.twilio.com/docs/errors/${code}` });
  if (message) expect(body.message).toMatch(message);
  expect(response.headers.get('access-control-allow-origin')).toBe('*');
  expect((await buildItems(stack)).length).toBe(before);
  return body;
}

describe('POST /v1/Services/{ServiceSid}/Builds', () => {
  it('answers 201 with the Build and writes it', async () => {
    const before = await buildItems(stack);
    const response = await createBuild(stack, {
      FunctionVersions: FUNCTION_VERSIONS,
      AssetVersions: ASSET_VERSIONS[0]!,
      Dependencies: '[{"name":"twilio","version":"5.0.0"}]',
      Runtime: 'node20',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    const build = await response.json();
    expect(build).toMatchObject({
      account_sid: ACCOUNT.sid,
      service_sid: SERVICE,
      status: 'building',
      runtime: 'node20',
      dependencies: [{ name: 'twilio', version: '5.0.0' }],
      asset_versions: [
        {
          sid: ASSET_VERSIONS[0],
          asset_sid: expect.stringMatching(/^ZH/),
          path: '/logo.png',
          visibility: 'PUBLIC',
          account_sid: ACCOUNT.sid,
          service_sid: SERVICE,
        },
      ],
    });
    expect(build.sid).toMatch(/^ZB[0-9a-f]{32}$/);
    expect(build.date_created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(build.function_versions.map((version: { sid: string }) => version.sid)).toEqual(FUNCTION_VERSIONS);
    expect(build.url).toBe(`${stack.baseUrl}/v1/Services/${SERVICE}/Builds/${build.sid}`);
    expect(build.links.build_status).toBe(`${build.url}/Status`);
    const after = await buildItems(stack);
    expect(after.length).toBe(before.length + 1);
    expect(after.find((item) => item.sid === build.sid)).toMatchObject({ status: expect.any(String), account_sid: ACCOUNT.sid });
  });

  it('builds from asset versions alone', async () => {
    const response = await createBuild(stack, { AssetVersions: ASSET_VERSIONS });
    expect(response.status).toBe(201);
    expect((await response.json()).function_versions).toEqual([]);
  });

  it('ignores unknown parameters', async () => {
    const response = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]!, FriendlyName: 'x', Foo: ['1', '2'] });
    expect(response.status).toBe(201);
  });

  it('answers 400 / 20001 naming an invalid parameter, and writes nothing', async () => {
    await expectError(() => createBuild(stack, { FunctionVersions: 'ZN123' }), 400, 20001, /^Invalid FunctionVersions/);
    await expectError(() => createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]!, Runtime: 'node99' }), 400, 20001, /^Invalid Runtime/);
    await expectError(() => createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]!, Dependencies: '[{' }), 400, 20001, /^Invalid Dependencies/);
  });

  it("answers 400 when no version is given, with Twilio's message", async () => {
    await expectError(() => createBuild(stack, { Runtime: 'node22' }), 400, 20001, /^At least one Function Version or Asset Version is required for Build$/);
  });

  it('answers 400 naming the version SIDs that do not exist in that service', async () => {
    const missing = 'ZN99999999999999999999999999999999';
    const body = await expectError(() => createBuild(stack, { FunctionVersions: [FUNCTION_VERSIONS[0]!, missing, OTHER_FUNCTION_VERSION] }), 400, 20001);
    expect(body.message).toBe(`Invalid FunctionVersions: not found in this service: ${missing}, ${OTHER_FUNCTION_VERSION}`);
  });

  it('answers 400 when an asset version is given as a function version', async () => {
    await expectError(() => createBuild(stack, { FunctionVersions: ASSET_VERSIONS[0]! }), 400, 20001, new RegExp(ASSET_VERSIONS[0]!));
  });

  it('answers 401 / 20003 with WWW-Authenticate without credentials', async () => {
    let response: Response | undefined;
    const send = async () => {
      response = await fetch(buildsUrl(stack), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `FunctionVersions=${FUNCTION_VERSIONS[0]}`,
      });
      return response;
    };
    await expectError(send, 401, 20003);
    expect(response!.headers.get('www-authenticate')).toBe('Basic realm="Twilio API"');
  });

  it('answers 401 to a wrong token and to an unknown account', async () => {
    await expectError(
      () => createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! }, { account: { ...ACCOUNT, auth_token: `${ACCOUNT.auth_token}x` } }),
      401,
      20003,
    );
    await expectError(
      () => createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! }, { account: { sid: `AC${'9'.repeat(32)}`, auth_token: ACCOUNT.auth_token } }),
      401,
      20003,
    );
  });

  it('answers 404 / 20404 for an unknown service', async () => {
    await expectError(
      () => createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! }, { serviceSid: `ZS${'9'.repeat(32)}` }),
      404,
      20404,
      /^The requested resource \/v1\/Services\/ZS9+\/Builds was not found$/,
    );
  });

  it("answers the same 404 for another account's service, never revealing it exists", async () => {
    const body = await expectError(() => createBuild(stack, { FunctionVersions: OTHER_FUNCTION_VERSION }, { serviceSid: OTHER_SERVICE }), 404, 20404);
    expect(body.message).toBe(`The requested resource /v1/Services/${OTHER_SERVICE}/Builds was not found`);
    // ... while its owner can use it.
    expect((await createBuild(stack, { FunctionVersions: OTHER_FUNCTION_VERSION }, { account: OTHER_ACCOUNT, serviceSid: OTHER_SERVICE })).status).toBe(201);
  });

  it('answers 404 for a malformed service SID', async () => {
    await expectError(() => createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! }, { serviceSid: 'not-a-sid' }), 404, 20404);
  });

  it('answers 405 / 20004 to a method the path does not serve', async () => {
    let allow: string | null = null;
    await expectError(
      async () => {
        const response = await request(buildsUrl(stack), { method: 'PUT' });
        allow = response.headers.get('allow');
        return response;
      },
      405,
      20004,
    );
    expect(allow).toBe('POST, GET, OPTIONS');
  });

  it('answers 415 to a body that is not a form', async () => {
    const send = () =>
      fetch(buildsUrl(stack), {
        method: 'POST',
        headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': 'application/json' },
        body: JSON.stringify({ FunctionVersions: FUNCTION_VERSIONS }),
      });
    await expectError(send, 415, 20415);
  });

  it('answers 413 to an oversized body', async () => {
    const send = () =>
      fetch(buildsUrl(stack), {
        method: 'POST',
        headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `FunctionVersions=${FUNCTION_VERSIONS[0]}&Pad=${'x'.repeat(300 * 1024)}`,
      });
    await expectError(send, 413, 20413);
  });

  it('answers a CORS preflight', async () => {
    const response = await fetch(buildsUrl(stack), { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' } });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });
});
