import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { type Body, expectConforms, expectNoContent } from '../support/contract';
import { ACCOUNT, FUNCTION, FUNCTION_VERSIONS, SERVICE } from '../support/fixtures';
import { twilioErrorProblems } from '../support/openapi';
import { type Created, call, completedBuild, createService } from '../support/resources';
import { request, startTestStack } from '../support/stack';

/**
 * Every success response of the Environments, Variables, Deployments and Logs operations against
 * Twilio's OpenAPI description (../shared/twilio-oai/twilio_serverless_v1.json), as the spec
 * writes it and closed (every declared property present, none undeclared), with the CORS headers
 * the spec names; and Twilio's list envelope: its key, PageSize 50 by default, absolute paging
 * URLs a client follows verbatim.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

interface Meta {
  first_page_url: string;
  key: string;
  next_page_url: string | null;
  page: number;
  page_size: number;
  previous_page_url: string | null;
  url: string;
}

/** Absolute URLs of the resources on the stack, as a client follows them. */
const urls = {
  environments: (serviceSid: string) => `${stack.baseUrl}/v1/Services/${serviceSid}/Environments`,
  environment: (serviceSid: string, sid: string) => `${urls.environments(serviceSid)}/${sid}`,
  variables: (serviceSid: string, environmentSid: string) => `${urls.environment(serviceSid, environmentSid)}/Variables`,
  variable: (serviceSid: string, environmentSid: string, sid: string) => `${urls.variables(serviceSid, environmentSid)}/${sid}`,
  deployments: (serviceSid: string, environmentSid: string) => `${urls.environment(serviceSid, environmentSid)}/Deployments`,
  deployment: (serviceSid: string, environmentSid: string, sid: string) => `${urls.deployments(serviceSid, environmentSid)}/${sid}`,
  logs: (serviceSid: string, environmentSid: string) => `${urls.environment(serviceSid, environmentSid)}/Logs`,
};

/** A unique name no other test uses. */
const uniqueName = (prefix = 'contract'): string => `${prefix}-${randomUUID().slice(0, 18)}`;

/** POSTs a urlencoded form to an absolute URL as ACCOUNT. */
const postForm = (url: string, form: Record<string, string>): Promise<Response> => call(stack, 'POST', url.slice(stack.baseUrl.length), { form });

/** Asserts an error response in Twilio's shape with this status and code. */
async function expectTwilioError(response: Response, status: number, code: number): Promise<void> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(twilioErrorProblems(JSON.parse(text), status, code)).toEqual([]);
}

const meta = (page: Body): Meta => page.meta as Meta;
const sidsOf = (page: Body, key: string): string[] => (page[key] as Body[]).map((item) => item.sid as string);

/** CreateEnvironment, checked against the spec. */
const newEnvironment = async (serviceSid: string, form: Record<string, string> = {}): Promise<Body> =>
  expectConforms('CreateEnvironment', 201, await postForm(urls.environments(serviceSid), { UniqueName: uniqueName('env'), ...form }));

/** CreateVariable, checked against the spec. */
const newVariable = async (serviceSid: string, environmentSid: string, key: string, value: string): Promise<Body> =>
  expectConforms('CreateVariable', 201, await postForm(urls.variables(serviceSid, environmentSid), { Key: key, Value: value }));

describe('Environments', () => {
  let service: Created;
  let staging: Body;
  let production: Body;

  beforeAll(async () => {
    service = await createService(stack, uniqueName('envs'));
  });

  it('CreateEnvironment with a DomainSuffix 201 conforms: no build yet, domain name from the service’s domain base, absolute links', async () => {
    const name = uniqueName('staging');
    staging = await newEnvironment(service.sid, { UniqueName: name, DomainSuffix: 'stage' });
    const url = urls.environment(service.sid, staging.sid as string);
    expect(staging).toMatchObject({
      account_sid: ACCOUNT.sid,
      service_sid: service.sid,
      build_sid: null,
      unique_name: name,
      domain_suffix: 'stage',
      domain_name: `${service.domain_base}-stage.localhost`,
      url,
      links: { variables: `${url}/Variables`, deployments: `${url}/Deployments`, logs: `${url}/Logs` },
    });
    expect(staging.sid).toMatch(/^ZE[0-9a-f]{32}$/);
    expect(Object.keys(staging.links as Body).sort()).toEqual(['deployments', 'logs', 'variables']);
    expect(staging.date_updated).toBe(staging.date_created);
    expect(staging.date_created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('CreateEnvironment without a DomainSuffix 201 conforms: domain_suffix null, the bare domain base', async () => {
    production = await newEnvironment(service.sid);
    expect(production).toMatchObject({ domain_suffix: null, build_sid: null, domain_name: `${service.domain_base}.localhost` });
  });

  it('FetchEnvironment 200 conforms and answers what was created', async () => {
    expect(await expectConforms('FetchEnvironment', 200, await request(urls.environment(service.sid, staging.sid as string)))).toEqual(staging);
    expect(await expectConforms('FetchEnvironment', 200, await request(urls.environment(service.sid, production.sid as string)))).toEqual(production);
  });

  it('ListEnvironment 200 conforms: key environments, page_size 50 by default, in creation order', async () => {
    const page = await expectConforms('ListEnvironment', 200, await request(urls.environments(service.sid)));
    expect(meta(page)).toMatchObject({ key: 'environments', page: 0, page_size: 50, previous_page_url: null, next_page_url: null });
    expect(meta(page).url).toMatch(new RegExp(`^${urls.environments(service.sid)}\\?`));
    expect(meta(page).first_page_url).toMatch(new RegExp(`^${urls.environments(service.sid)}\\?`));
    expect(page.environments).toEqual([staging, production]);
  });

  it('ListEnvironment of a service without environments conforms', async () => {
    const empty = await createService(stack, uniqueName('noenv'));
    const page = await expectConforms('ListEnvironment', 200, await request(urls.environments(empty.sid)));
    expect(page.environments).toEqual([]);
    expect(meta(page)).toMatchObject({ key: 'environments', page_size: 50, next_page_url: null });
  });

  it('ListEnvironment with PageSize 1 follows absolute next_page_url verbatim', async () => {
    const first = await expectConforms('ListEnvironment', 200, await request(`${urls.environments(service.sid)}?PageSize=1`));
    expect(meta(first)).toMatchObject({ page: 0, page_size: 1 });
    expect(sidsOf(first, 'environments')).toEqual([staging.sid]);
    const next = meta(first).next_page_url;
    expect(next).toMatch(new RegExp(`^${stack.baseUrl}/`));
    const second = await expectConforms('ListEnvironment', 200, await request(next!));
    expect(sidsOf(second, 'environments')).toEqual([production.sid]);
    expect(meta(second)).toMatchObject({ page: 1, page_size: 1, next_page_url: null });
  });

  it('DeleteEnvironment 204 has an empty body; the environment is then gone', async () => {
    const doomed = await newEnvironment(service.sid, { DomainSuffix: 'doomed' });
    await expectNoContent('DeleteEnvironment', await request(urls.environment(service.sid, doomed.sid as string), { method: 'DELETE' }));
    await expectTwilioError(await request(urls.environment(service.sid, doomed.sid as string)), 404, 20404);
    const page = await expectConforms('ListEnvironment', 200, await request(urls.environments(service.sid)));
    expect(sidsOf(page, 'environments')).not.toContain(doomed.sid);
  });
});

describe('Variables', () => {
  let service: Created;
  let environment: Body;
  let variable: Body;

  beforeAll(async () => {
    service = await createService(stack, uniqueName('vars'));
    environment = await newEnvironment(service.sid, { DomainSuffix: 'dev' });
  });

  it('CreateVariable 201 conforms and keeps key and value as sent', async () => {
    variable = await newVariable(service.sid, environment.sid as string, 'API_KEY', 'sk_live ✓ 123=456&x');
    expect(variable).toMatchObject({
      account_sid: ACCOUNT.sid,
      service_sid: service.sid,
      environment_sid: environment.sid,
      key: 'API_KEY',
      value: 'sk_live ✓ 123=456&x',
      url: urls.variable(service.sid, environment.sid as string, variable.sid as string),
    });
    expect(variable.sid).toMatch(/^ZV[0-9a-f]{32}$/);
    expect(variable.date_updated).toBe(variable.date_created);
  });

  it('CreateVariable with an empty Value conforms', async () => {
    const empty = await newVariable(service.sid, environment.sid as string, 'EMPTY', '');
    expect(empty.value).toBe('');
  });

  it('FetchVariable 200 conforms and answers what was created', async () => {
    expect(await expectConforms('FetchVariable', 200, await request(urls.variable(service.sid, environment.sid as string, variable.sid as string)))).toEqual(
      variable,
    );
  });

  it('UpdateVariable 200 conforms: the value, then the key, change; the SID and date_created do not', async () => {
    const url = urls.variable(service.sid, environment.sid as string, variable.sid as string);
    const revalued = await expectConforms('UpdateVariable', 200, await postForm(url, { Value: 'rotated' }));
    expect(revalued).toMatchObject({ sid: variable.sid, key: 'API_KEY', value: 'rotated', date_created: variable.date_created });
    const rekeyed = await expectConforms('UpdateVariable', 200, await postForm(url, { Key: 'SECRET_KEY' }));
    expect(rekeyed).toMatchObject({ sid: variable.sid, key: 'SECRET_KEY', value: 'rotated', date_created: variable.date_created });
    const both = await expectConforms('UpdateVariable', 200, await postForm(url, { Key: 'API_KEY', Value: 'both' }));
    expect(both).toMatchObject({ sid: variable.sid, key: 'API_KEY', value: 'both' });
    expect(Date.parse(both.date_updated as string)).toBeGreaterThanOrEqual(Date.parse(variable.date_created as string));
    expect(await expectConforms('FetchVariable', 200, await request(url))).toEqual(both);
    variable = both;
  });

  it('ListVariable 200 conforms: key variables, page_size 50 by default', async () => {
    const page = await expectConforms('ListVariable', 200, await request(urls.variables(service.sid, environment.sid as string)));
    expect(meta(page)).toMatchObject({ key: 'variables', page: 0, page_size: 50, previous_page_url: null, next_page_url: null });
    expect(page.variables).toContainEqual(variable);
    expect(sidsOf(page, 'variables')).toHaveLength(2);
  });

  it('ListVariable pages through absolute next_page_url and previous_page_url, every page conforming', async () => {
    const paged = await newEnvironment(service.sid);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await newVariable(service.sid, paged.sid as string, `KEY_${i}`, `value ${i}`)).sid as string);

    const pages: Body[] = [];
    let url: string | null = `${urls.variables(service.sid, paged.sid as string)}?PageSize=2`;
    while (url) {
      expect(url.startsWith(`${stack.baseUrl}/`), url).toBe(true);
      const page: Body = await expectConforms('ListVariable', 200, await request(url));
      expect(meta(page)).toMatchObject({ key: 'variables', page: pages.length, page_size: 2 });
      pages.push(page);
      url = meta(page).next_page_url;
      if (pages.length > 5) throw new Error('paging does not end');
    }
    expect(pages.map((page) => sidsOf(page, 'variables'))).toEqual([created.slice(0, 2), created.slice(2, 4), created.slice(4)]);
    expect(meta(pages[0]!).previous_page_url).toBeNull();

    // Back from the last page, and to the first.
    const back = await expectConforms('ListVariable', 200, await request(meta(pages[2]!).previous_page_url!));
    expect(sidsOf(back, 'variables')).toEqual(created.slice(2, 4));
    expect(meta(back).page).toBe(1);
    const first = await expectConforms('ListVariable', 200, await request(meta(pages[2]!).first_page_url));
    expect(sidsOf(first, 'variables')).toEqual(created.slice(0, 2));
  });

  it('DeleteVariable 204 has an empty body; the variable is then gone', async () => {
    const doomed = await newVariable(service.sid, environment.sid as string, 'DOOMED', 'x');
    const url = urls.variable(service.sid, environment.sid as string, doomed.sid as string);
    await expectNoContent('DeleteVariable', await request(url, { method: 'DELETE' }));
    await expectTwilioError(await request(url), 404, 20404);
    const page = await expectConforms('ListVariable', 200, await request(urls.variables(service.sid, environment.sid as string)));
    expect(sidsOf(page, 'variables')).not.toContain(doomed.sid);
  });
});

describe('Deployments', () => {
  let environment: Body;
  let builds: Created[];
  let first: Body;
  let second: Body;

  beforeAll(async () => {
    environment = await newEnvironment(SERVICE, { DomainSuffix: uniqueName('d').slice(0, 16) });
    builds = [
      await completedBuild(stack, SERVICE, { FunctionVersions: [FUNCTION_VERSIONS[0]!] }),
      await completedBuild(stack, SERVICE, { FunctionVersions: [FUNCTION_VERSIONS[1]!] }),
    ];
  });

  it('ListDeployment of an environment never deployed conforms and is empty', async () => {
    const page = await expectConforms('ListDeployment', 200, await request(urls.deployments(SERVICE, environment.sid as string)));
    expect(page.deployments).toEqual([]);
    expect(meta(page)).toMatchObject({ key: 'deployments', page_size: 50, next_page_url: null, previous_page_url: null });
  });

  it('CreateDeployment 201 conforms; the environment then has the build', async () => {
    first = await expectConforms('CreateDeployment', 201, await postForm(urls.deployments(SERVICE, environment.sid as string), { BuildSid: builds[0]!.sid }));
    expect(first).toMatchObject({
      account_sid: ACCOUNT.sid,
      service_sid: SERVICE,
      environment_sid: environment.sid,
      build_sid: builds[0]!.sid,
      url: urls.deployment(SERVICE, environment.sid as string, first.sid as string),
    });
    expect(first.sid).toMatch(/^ZD[0-9a-f]{32}$/);
    expect(first.date_updated).toBe(first.date_created);
    const deployed = await expectConforms('FetchEnvironment', 200, await request(urls.environment(SERVICE, environment.sid as string)));
    expect(deployed).toMatchObject({ sid: environment.sid, build_sid: builds[0]!.sid, date_created: environment.date_created });
  });

  it('CreateDeployment with IsPlugin conforms (the spec has no is_plugin property)', async () => {
    second = await expectConforms(
      'CreateDeployment',
      201,
      await postForm(urls.deployments(SERVICE, environment.sid as string), { BuildSid: builds[1]!.sid, IsPlugin: 'true' }),
    );
    expect(second).toMatchObject({ environment_sid: environment.sid, build_sid: builds[1]!.sid });
    expect((await expectConforms('FetchEnvironment', 200, await request(urls.environment(SERVICE, environment.sid as string)))).build_sid).toBe(builds[1]!.sid);
  });

  it('FetchDeployment 200 conforms and answers what was created', async () => {
    expect(await expectConforms('FetchDeployment', 200, await request(urls.deployment(SERVICE, environment.sid as string, first.sid as string)))).toEqual(
      first,
    );
    expect(await expectConforms('FetchDeployment', 200, await request(urls.deployment(SERVICE, environment.sid as string, second.sid as string)))).toEqual(
      second,
    );
  });

  it('ListDeployment 200 conforms: key deployments, page_size 50, newest first', async () => {
    const page = await expectConforms('ListDeployment', 200, await request(urls.deployments(SERVICE, environment.sid as string)));
    expect(meta(page)).toMatchObject({ key: 'deployments', page: 0, page_size: 50, next_page_url: null, previous_page_url: null });
    expect(page.deployments).toEqual([second, first]);
  });

  it('ListDeployment with PageSize 1 walks newest to oldest through next_page_url', async () => {
    const top = await expectConforms('ListDeployment', 200, await request(`${urls.deployments(SERVICE, environment.sid as string)}?PageSize=1`));
    expect(sidsOf(top, 'deployments')).toEqual([second.sid]);
    const next = await expectConforms('ListDeployment', 200, await request(meta(top).next_page_url!));
    expect(sidsOf(next, 'deployments')).toEqual([first.sid]);
    expect(meta(next).next_page_url).toBeNull();
  });
});

describe('Logs', () => {
  let environment: Body;

  beforeAll(async () => {
    environment = await newEnvironment(SERVICE);
  });

  it('ListLog 200 conforms: an empty page under key logs, page_size 50 by default', async () => {
    const page = await expectConforms('ListLog', 200, await request(urls.logs(SERVICE, environment.sid as string)));
    expect(page.logs).toEqual([]);
    expect(meta(page)).toMatchObject({ key: 'logs', page: 0, page_size: 50, next_page_url: null, previous_page_url: null });
    expect(meta(page).url).toMatch(new RegExp(`^${urls.logs(SERVICE, environment.sid as string)}\\?`));
  });

  it('ListLog with FunctionSid, StartDate, EndDate and PageSize conforms', async () => {
    const query = new URLSearchParams({ FunctionSid: FUNCTION, StartDate: '2026-01-01T00:00:00Z', EndDate: new Date().toISOString(), PageSize: '5' });
    const page = await expectConforms('ListLog', 200, await request(`${urls.logs(SERVICE, environment.sid as string)}?${query}`));
    expect(page.logs).toEqual([]);
    expect(meta(page)).toMatchObject({ key: 'logs', page_size: 5, next_page_url: null });
  });
});
