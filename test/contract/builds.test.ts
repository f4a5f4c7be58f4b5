import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { type Body, expectConforms } from '../support/contract';
import { ACCOUNT, ASSET_VERSIONS, FUNCTION_VERSIONS, OTHER_ACCOUNT, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import { bodyProblems, headerProblems, keyPaths, specEnum, specExample, specResponse, twilioErrorProblems } from '../support/openapi';
import { buildsUrl, createBuild, request, startTestStack } from '../support/stack';

/**
 * Every response of the Builds operations against Twilio's OpenAPI description
 * (../shared/twilio-oai/twilio_serverless_v1.json): bodies as the spec writes them and "closed"
 * (every declared property present, none undeclared), the Access-Control-* headers it names, and
 * Twilio's error shape, which the spec does not define.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const DEPENDENCIES = [
  { name: 'twilio', version: '5.0.0' },
  { name: '@twilio/runtime-handler', version: '2.0.0' },
];

/** Asserts an error response: HTTP status, JSON, Twilio's error shape with this code. */
async function expectTwilioError(response: Response, status: number, code: number): Promise<Body> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Body;
  expect(twilioErrorProblems(body, status, code)).toEqual([]);
  return body;
}

const buildUrl = (sid: string, serviceSid = SERVICE) => `${buildsUrl(stack, serviceSid)}/${sid}`;
const statusUrl = (sid: string) => `${buildUrl(sid)}/Status`;

async function newBuild(form: Record<string, string | string[]> = {}): Promise<Body> {
  const response = await createBuild(stack, {
    FunctionVersions: FUNCTION_VERSIONS,
    AssetVersions: ASSET_VERSIONS,
    Dependencies: JSON.stringify(DEPENDENCIES),
    Runtime: 'node22',
    ...form,
  });
  return expectConforms('CreateBuild', 201, response);
}

async function waitForStatus(sid: string, wanted: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { status } = (await (await request(statusUrl(sid))).json()) as { status: string };
    if (status === wanted) return;
    if (Date.now() > deadline) throw new Error(`build ${sid} is still ${status}, expected ${wanted}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A real, conforming Build body to break in the "validators can fail" tests. */
let sample: Body;

describe('CreateBuild 201', () => {
  it('a build with function versions, asset versions and dependencies conforms, with the keys of the spec example', async () => {
    sample = await newBuild();
    expect(sample).toMatchObject({ status: 'building', runtime: 'node22', dependencies: DEPENDENCIES });
    expect(keyPaths(sample)).toEqual(keyPaths(specExample('CreateBuild', 201)));
  });

  it('a build with asset versions only and no dependencies (empty arrays) conforms', async () => {
    const body = await newBuild({ FunctionVersions: [], Dependencies: [], AssetVersions: ASSET_VERSIONS[0]! });
    expect(body).toMatchObject({ function_versions: [], dependencies: [] });
  });

  it('a build without Runtime conforms (the default runtime is inside the spec enum)', async () => {
    const response = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! });
    const body = await expectConforms('CreateBuild', 201, response);
    expect(specEnum('build_enum_runtime')).toContain(body.runtime);
  });
});

describe('FetchBuild 200', () => {
  it('conforms while building, when completed and when failed, with the keys of the spec example', async () => {
    const building = await expectConforms('FetchBuild', 200, await request(buildUrl(sample.sid as string)));
    expect(building.status).toBe('building');
    expect(keyPaths(building)).toEqual(keyPaths(specExample('FetchBuild', 200)));

    // node18 is retired: the build ends `failed` (error 82007); node18 is inside the spec enum.
    const retired = await newBuild({ Runtime: 'node18' });
    await waitForStatus(sample.sid as string, 'completed');
    await waitForStatus(retired.sid as string, 'failed');

    const completed = await expectConforms('FetchBuild', 200, await request(buildUrl(sample.sid as string)));
    expect(completed.status).toBe('completed');
    const failed = await expectConforms('FetchBuild', 200, await request(buildUrl(retired.sid as string)));
    expect(failed.status).toBe('failed');
  });
});

describe('FetchBuildStatus 200', () => {
  it('conforms while building and when completed, with the keys of the spec example', async () => {
    const build = await newBuild();
    const building = await expectConforms('FetchBuildStatus', 200, await request(statusUrl(build.sid as string)));
    expect(building).toMatchObject({ sid: build.sid, status: 'building' });
    expect(keyPaths(building)).toEqual(keyPaths(specExample('FetchBuildStatus', 200)));
    await waitForStatus(build.sid as string, 'completed');
    const completed = await expectConforms('FetchBuildStatus', 200, await request(statusUrl(build.sid as string)));
    expect(completed).toMatchObject({ sid: build.sid, status: 'completed', url: statusUrl(build.sid as string) });
  });
});

describe('ListBuild 200', () => {
  it('every page conforms: first (no previous), middle (both links), last (no next)', async () => {
    const pages: Body[] = [];
    let url: string | null = `${buildsUrl(stack)}?PageSize=2`;
    while (url) {
      const page = await expectConforms('ListBuild', 200, await request(url));
      pages.push(page);
      url = (page.meta as { next_page_url: string | null }).next_page_url;
      expect(pages.length).toBeLessThan(20);
    }
    // This file has created at least 5 builds by now: at least 3 pages of 2.
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const metas = pages.map((page) => page.meta as { previous_page_url: string | null; next_page_url: string | null; page: number });
    expect(metas[0]!.previous_page_url).toBeNull();
    expect(metas.at(-1)!.next_page_url).toBeNull();
    expect(metas.some((meta) => meta.previous_page_url !== null && meta.next_page_url !== null)).toBe(true);
    expect(metas.map((meta) => meta.page)).toEqual(metas.map((_, index) => index));
    // No trailing empty page: every page the links lead to has builds.
    for (const page of pages) expect((page.builds as unknown[]).length).toBeGreaterThan(0);
  });

  // DynamoDB returns a LastEvaluatedKey whenever a Query stops at its Limit, even when no item
  // follows; the store reads one item more than the page to know. Twilio answers null here.
  it('a last page that is exactly full has next_page_url null', async () => {
    const all = (await (await request(`${buildsUrl(stack)}?PageSize=1000`)).json()) as { builds: Body[] };
    expect(all.builds.length).toBeGreaterThan(0);
    const exact = await expectConforms('ListBuild', 200, await request(`${buildsUrl(stack)}?PageSize=${all.builds.length}`));
    expect((exact.builds as Body[]).length).toBe(all.builds.length);
    expect((exact.meta as { next_page_url: string | null }).next_page_url).toBeNull();
  });

  it('an empty list conforms, with the meta keys of the spec example', async () => {
    const page = await expectConforms('ListBuild', 200, await request(buildsUrl(stack, OTHER_SERVICE), { account: OTHER_ACCOUNT }));
    expect(page.builds).toEqual([]);
    expect(keyPaths(page)).toEqual(keyPaths(specExample('ListBuild', 200)));
  });
});

describe('DeleteBuild 204', () => {
  it('answers 204 with an empty body, as the spec declares (no content)', async () => {
    expect(specResponse('DeleteBuild', 204).content).toBeUndefined();
    const build = await newBuild();
    const response = await request(buildUrl(build.sid as string), { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    await expectTwilioError(await request(buildUrl(build.sid as string)), 404, 20404);
  });
});

describe('the spec lags behind Twilio on runtimes', () => {
  it('node24 builds are accepted, and their one deviation from the spec is the runtime enum (which stops at node22)', async () => {
    expect(specEnum('build_enum_runtime')).not.toContain('node24');
    const response = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS, Runtime: 'node24' });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Body;
    expect(body.runtime).toBe('node24');
    const problems = bodyProblems('CreateBuild', 201, body);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\/runtime must be equal to one of the allowed values/);
  });
});

describe('the validators can fail', () => {
  it('a body with sid "XX" fails the spec schema', () => {
    const problems = bodyProblems('FetchBuild', 200, { ...sample, sid: 'XX' });
    expect(problems).toContainEqual(expect.stringMatching(/^\/sid must match pattern/));
    expect(bodyProblems('FetchBuild', 200, { ...sample, sid: 'XX' }, { closed: true })).not.toEqual([]);
  });

  it('a status outside the enum, a date that is not a date-time and a url that is not a URI fail', () => {
    expect(bodyProblems('FetchBuild', 200, { ...sample, status: 'done' })).toContainEqual(expect.stringMatching(/^\/status /));
    expect(bodyProblems('FetchBuild', 200, { ...sample, date_created: '27/11/2026' })).toContainEqual(
      expect.stringMatching(/^\/date_created must match format "date-time"/),
    );
    expect(bodyProblems('FetchBuild', 200, { ...sample, url: 'not a url' })).toContainEqual(expect.stringMatching(/^\/url must match format "uri"/));
    expect(bodyProblems('FetchBuild', 200, { ...sample, links: { build_status: 'not a url' } })).toContainEqual(
      expect.stringMatching(/^\/links\/build_status must match format "uri"/),
    );
    expect(bodyProblems('FetchBuildStatus', 200, { sid: SERVICE, status: 'completed' })).toContainEqual(expect.stringMatching(/^\/sid must match pattern/));
  });

  it('the closed check catches a missing or an undeclared property, which the spec as written allows', () => {
    const { links: _links, ...withoutLinks } = sample;
    expect(bodyProblems('FetchBuild', 200, withoutLinks)).toEqual([]);
    expect(bodyProblems('FetchBuild', 200, withoutLinks, { closed: true })).toEqual([expect.stringMatching(/must have required property 'links'/)]);
    expect(bodyProblems('FetchBuild', 200, { ...sample, error_code: 82007 }, { closed: true })).toEqual([
      expect.stringMatching(/must NOT have additional properties/),
    ]);
  });

  it('a list page whose next_page_url is not a URI, or whose builds break the Build schema, fails', () => {
    const meta = { first_page_url: 'http://x/1', key: 'builds', next_page_url: 'page two', page: 0, page_size: 2, previous_page_url: null, url: 'http://x/1' };
    expect(bodyProblems('ListBuild', 200, { builds: [sample], meta })).toEqual([expect.stringMatching(/^\/meta\/next_page_url must match format "uri"/)]);
    expect(bodyProblems('ListBuild', 200, { builds: [{ ...sample, account_sid: 'AC1' }], meta: { ...meta, next_page_url: null } })).not.toEqual([]);
  });

  it('an error body with type/title, a more_info of another code, or a status other than the HTTP status fails', () => {
    const error = { code: 20404, message: 'The requested resource was not found', more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 };
    expect(twilioErrorProblems(error, 404, 20404)).toEqual([]);
    expect(twilioErrorProblems({ ...error, type: 'https://www.twilio.com/docs/errors/20404', title: 'Not Found' }, 404)).toHaveLength(2);
    expect(twilioErrorProblems({ ...error, more_info: 'https://www.twilio.com/docs/errors/20001' }, 404)).toHaveLength(1);
    expect(twilioErrorProblems(error, 400)).toHaveLength(1);
    expect(twilioErrorProblems({ ...error, code: '20404' }, 404)).not.toEqual([]);
    expect(twilioErrorProblems({ message: 'Not Found' }, 404)).not.toEqual([]);
  });

  it('a header the spec types as boolean must read true or false', () => {
    expect(headerProblems('FetchBuild', 200, new Headers({ 'Access-Control-Allow-Credentials': 'yes' }))).toHaveLength(1);
    expect(headerProblems('FetchBuild', 200, new Headers(), ['Access-Control-Allow-Origin'])).toEqual(['Access-Control-Allow-Origin: missing']);
  });
});

describe('error bodies have Twilio’s shape', () => {
  const MISSING_BUILD = 'ZB0123456789abcdef0123456789abcdef';
  const wrongToken = { sid: ACCOUNT.sid, auth_token: 'ffffffffffffffffffffffffffffffff' };

  it('400 / 20001 for invalid parameters', async () => {
    await expectTwilioError(await createBuild(stack, { Dependencies: '[]' }), 400, 20001);
    await expectTwilioError(await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS, Runtime: 'node0' }), 400, 20001);
    await expectTwilioError(await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS, Dependencies: '{not json' }), 400, 20001);
    await expectTwilioError(await request(`${buildsUrl(stack)}?PageSize=0`), 400, 20001);
    await expectTwilioError(await request(`${buildsUrl(stack)}?PageToken=bogus`), 400, 20001);
  });

  it('401 / 20003 on every operation, without credentials or with a wrong token', async () => {
    const sid = sample.sid as string;
    const attempts: Array<() => Promise<Response>> = [
      () =>
        fetch(buildsUrl(stack), {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: `FunctionVersions=${FUNCTION_VERSIONS[0]}`,
        }),
      () => createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS }, { account: wrongToken }),
      () => fetch(buildsUrl(stack)),
      () => request(buildsUrl(stack), { account: wrongToken }),
      () => request(buildUrl(sid), { account: wrongToken }),
      () => request(statusUrl(sid), { account: wrongToken }),
      () => request(buildUrl(sid), { method: 'DELETE', account: wrongToken }),
    ];
    for (const attempt of attempts) {
      const response = await attempt();
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
      await expectTwilioError(response, 401, 20003);
    }
  });

  it('404 / 20404 for a missing build on fetch, status and delete, another tenant’s service, and an unknown path', async () => {
    await expectTwilioError(await request(buildUrl(MISSING_BUILD)), 404, 20404);
    await expectTwilioError(await request(statusUrl(MISSING_BUILD)), 404, 20404);
    await expectTwilioError(await request(buildUrl(MISSING_BUILD), { method: 'DELETE' }), 404, 20404);
    await expectTwilioError(await request(buildsUrl(stack, OTHER_SERVICE)), 404, 20404);
    await expectTwilioError(await request(buildUrl(sample.sid as string), { account: OTHER_ACCOUNT }), 404, 20404);
    await expectTwilioError(await request(`${stack.baseUrl}/v1/Services/${SERVICE}/Nothing`), 404, 20404);
  });

  it('405 / 20004 for a method a Builds path does not serve, with Allow', async () => {
    const put = await request(buildsUrl(stack), { method: 'PUT' });
    expect(put.headers.get('allow')).toContain('POST');
    await expectTwilioError(put, 405, 20004);
    const post = await fetch(buildUrl(sample.sid as string), { method: 'POST' });
    expect(post.headers.get('allow')).toContain('DELETE');
    await expectTwilioError(post, 405, 20004);
  });
});
