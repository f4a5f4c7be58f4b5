import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { type Body, expectConforms, expectNoContent } from '../support/contract';
import { ACCOUNT, ASSET, ASSET_VERSIONS, FUNCTION, FUNCTION_VERSIONS, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import { bodyProblems, schemaProblems, twilioErrorProblems } from '../support/openapi';
import { call, createDeployable, expectJson, upload } from '../support/resources';
import { request, startTestStack } from '../support/stack';

/**
 * Every success response of the Services, Functions, Assets and Versions operations against
 * Twilio's OpenAPI description (../shared/twilio-oai/twilio_serverless_v1.json), as the spec
 * writes it and closed (every declared property present, none undeclared); the version uploads,
 * which the spec has no operation for, against the Version component schemas; and Twilio's list
 * envelope: its key, its default and bounds of PageSize, and its absolute paging URLs.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

type Kind = 'function' | 'asset';
const FAMILY = { function: 'Functions', asset: 'Assets' } as const;

/** Absolute URLs of the resources on the stack, as a client follows them. */
const urls = {
  services: () => `${stack.baseUrl}/v1/Services`,
  service: (sidOrUniqueName: string) => `${stack.baseUrl}/v1/Services/${sidOrUniqueName}`,
  deployables: (kind: Kind, serviceSid: string) => `${urls.service(serviceSid)}/${FAMILY[kind]}`,
  deployable: (kind: Kind, serviceSid: string, sid: string) => `${urls.deployables(kind, serviceSid)}/${sid}`,
  versions: (kind: Kind, serviceSid: string, parentSid: string) => `${urls.deployable(kind, serviceSid, parentSid)}/Versions`,
  version: (kind: Kind, serviceSid: string, parentSid: string, sid: string) => `${urls.versions(kind, serviceSid, parentSid)}/${sid}`,
  content: (serviceSid: string, functionSid: string, sid: string) => `${urls.version('function', serviceSid, functionSid, sid)}/Content`,
};

/** A unique name no other test uses: letters, digits and dashes, at most 50 characters. */
const uniqueName = (prefix = 'contract'): string => `${prefix}-${randomUUID().slice(0, 18)}`;

/** POSTs a urlencoded form to an absolute URL as ACCOUNT. */
const postForm = (url: string, form: Record<string, string>): Promise<Response> => call(stack, 'POST', url.slice(stack.baseUrl.length), { form });

interface Meta {
  first_page_url: string;
  key: string;
  next_page_url: string | null;
  page: number;
  page_size: number;
  previous_page_url: string | null;
  url: string;
}

/** Asserts an error response in Twilio's shape with this status and code; returns the body. */
async function expectTwilioError(response: Response, status: number, code: number): Promise<{ message: string }> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { message: string };
  expect(twilioErrorProblems(body, status, code)).toEqual([]);
  return body;
}

const meta = (page: Body): Meta => page.meta as Meta;
const sidsOf = (page: Body, key: string): string[] => (page[key] as Body[]).map((item) => item.sid as string);

/** CreateService with a fresh unique name (unless given), checked against the spec. */
async function newService(form: Record<string, string> = {}): Promise<Body> {
  return expectConforms('CreateService', 201, await postForm(urls.services(), { UniqueName: uniqueName(), FriendlyName: 'A service', ...form }));
}

/** CreateFunction or CreateAsset, checked against the spec. */
async function newDeployable(kind: Kind, serviceSid: string, friendlyName: string): Promise<Body> {
  return expectConforms(
    kind === 'function' ? 'CreateFunction' : 'CreateAsset',
    201,
    await postForm(urls.deployables(kind, serviceSid), { FriendlyName: friendlyName }),
  );
}

const FAMILIES = [
  {
    kind: 'function' as Kind,
    key: 'functions',
    ops: { list: 'ListFunction', create: 'CreateFunction', fetch: 'FetchFunction', update: 'UpdateFunction', delete: 'DeleteFunction' },
    link: 'function_versions',
  },
  {
    kind: 'asset' as Kind,
    key: 'assets',
    ops: { list: 'ListAsset', create: 'CreateAsset', fetch: 'FetchAsset', update: 'UpdateAsset', delete: 'DeleteAsset' },
    link: 'asset_versions',
  },
];

describe('Services', () => {
  let service: Body;

  it('CreateService 201 conforms, with Twilio defaults (include_credentials true, ui_editable false) and absolute links', async () => {
    const name = uniqueName();
    service = await newService({ UniqueName: name, FriendlyName: 'Contract service' });
    expect(service).toMatchObject({
      account_sid: ACCOUNT.sid,
      unique_name: name,
      friendly_name: 'Contract service',
      include_credentials: true,
      ui_editable: false,
      url: `${stack.baseUrl}/v1/Services/${service.sid}`,
      links: {
        functions: `${stack.baseUrl}/v1/Services/${service.sid}/Functions`,
        assets: `${stack.baseUrl}/v1/Services/${service.sid}/Assets`,
        builds: `${stack.baseUrl}/v1/Services/${service.sid}/Builds`,
        environments: `${stack.baseUrl}/v1/Services/${service.sid}/Environments`,
      },
    });
    expect(service.sid).toMatch(/^ZS[0-9a-f]{32}$/);
    expect(service.date_updated).toBe(service.date_created);
  });

  it('CreateService with IncludeCredentials=false and UiEditable=true conforms and keeps them', async () => {
    const body = await newService({ IncludeCredentials: 'false', UiEditable: 'true' });
    expect(body).toMatchObject({ include_credentials: false, ui_editable: true });
  });

  it('FetchService 200 conforms by SID and by unique_name, and both answer the same service', async () => {
    const bySid = await expectConforms('FetchService', 200, await request(urls.service(service.sid as string)));
    const byName = await expectConforms('FetchService', 200, await request(urls.service(service.unique_name as string)));
    expect(bySid).toEqual(service);
    expect(byName).toEqual(service);
  });

  it('UpdateService 200 conforms: friendly_name and flags change, unique_name and domain_base do not', async () => {
    const response = await postForm(urls.service(service.sid as string), { FriendlyName: 'Renamed', IncludeCredentials: 'false', UiEditable: 'true' });
    const updated = await expectConforms('UpdateService', 200, response);
    expect(updated).toMatchObject({
      sid: service.sid,
      friendly_name: 'Renamed',
      include_credentials: false,
      ui_editable: true,
      unique_name: service.unique_name,
      domain_base: service.domain_base,
      date_created: service.date_created,
    });
    expect(Date.parse(updated.date_updated as string)).toBeGreaterThanOrEqual(Date.parse(service.date_created as string));
    // By unique name too.
    const byName = await expectConforms('UpdateService', 200, await postForm(urls.service(service.unique_name as string), { FriendlyName: 'By name' }));
    expect(byName).toMatchObject({ sid: service.sid, friendly_name: 'By name', include_credentials: false });
    service = byName;
  });

  it('ListService 200 conforms: key services, page_size 50 by default, the account’s services only', async () => {
    const page = await expectConforms('ListService', 200, await request(urls.services()));
    expect(meta(page)).toMatchObject({ key: 'services', page: 0, page_size: 50, previous_page_url: null, next_page_url: null });
    const sids = sidsOf(page, 'services');
    expect(sids).toContain(SERVICE);
    expect(sids).toContain(service.sid);
    expect(sids).not.toContain(OTHER_SERVICE);
  });

  it('DeleteService 204 has an empty body; the service is then gone by SID and by unique name', async () => {
    const doomed = await newService();
    await expectNoContent('DeleteService', await request(urls.service(doomed.sid as string), { method: 'DELETE' }));
    await expectTwilioError(await request(urls.service(doomed.sid as string)), 404, 20404);
    await expectTwilioError(await request(urls.service(doomed.unique_name as string)), 404, 20404);
    expect(sidsOf(await expectConforms('ListService', 200, await request(urls.services())), 'services')).not.toContain(doomed.sid);
  });

  it('DeleteService by unique name answers 204 with an empty body', async () => {
    const doomed = await newService();
    await expectNoContent('DeleteService', await request(urls.service(doomed.unique_name as string), { method: 'DELETE' }));
    await expectTwilioError(await request(urls.service(doomed.sid as string)), 404, 20404);
  });

  it('a duplicate unique name is a 409 in Twilio’s error shape', async () => {
    await expectTwilioError(await postForm(urls.services(), { UniqueName: service.unique_name as string, FriendlyName: 'Again' }), 409, 20409);
  });
});

describe.each(FAMILIES)('$key', ({ kind, key, ops, link }) => {
  let service: Body;
  let item: Body;
  const path = (suffix = '') => `${stack.baseUrl}/v1/Services/${service.sid}/${kind === 'function' ? 'Functions' : 'Assets'}${suffix}`;

  beforeAll(async () => {
    service = await newService();
  });

  it(`${ops.create} 201 conforms, with its url and ${link} link`, async () => {
    item = await newDeployable(kind, service.sid as string, `first ${kind}`);
    expect(item).toMatchObject({
      account_sid: ACCOUNT.sid,
      service_sid: service.sid,
      friendly_name: `first ${kind}`,
      url: path(`/${item.sid}`),
      links: { [link]: path(`/${item.sid}/Versions`) },
    });
    expect(item.sid).toMatch(/^ZH[0-9a-f]{32}$/);
    expect(Object.keys(item.links as Body)).toEqual([link]);
  });

  it(`${ops.fetch} 200 conforms and answers what was created`, async () => {
    expect(await expectConforms(ops.fetch, 200, await request(urls.deployable(kind, service.sid as string, item.sid as string)))).toEqual(item);
  });

  it(`${ops.update} 200 conforms and renames`, async () => {
    const response = await postForm(urls.deployable(kind, service.sid as string, item.sid as string), { FriendlyName: `renamed ${kind}` });
    const updated = await expectConforms(ops.update, 200, response);
    expect(updated).toMatchObject({ sid: item.sid, friendly_name: `renamed ${kind}`, date_created: item.date_created });
    item = updated;
  });

  it(`${ops.list} 200 conforms: key ${key}, page_size 50 by default`, async () => {
    const page = await expectConforms(ops.list, 200, await request(urls.deployables(kind, service.sid as string)));
    expect(meta(page)).toMatchObject({ key, page: 0, page_size: 50, previous_page_url: null, next_page_url: null });
    expect(page[key]).toEqual([item]);
  });

  it(`${ops.list} of an empty service conforms`, async () => {
    const empty = await newService();
    const page = await expectConforms(ops.list, 200, await request(urls.deployables(kind, empty.sid as string)));
    expect(page[key]).toEqual([]);
    expect(meta(page).key).toBe(key);
  });

  it(`${ops.delete} 204 has an empty body; the ${kind} is then gone`, async () => {
    const doomed = await newDeployable(kind, service.sid as string, 'doomed');
    await expectNoContent(ops.delete, await request(urls.deployable(kind, service.sid as string, doomed.sid as string), { method: 'DELETE' }));
    await expectTwilioError(await request(urls.deployable(kind, service.sid as string, doomed.sid as string)), 404, 20404);
    const page = await expectConforms(ops.list, 200, await request(urls.deployables(kind, service.sid as string)));
    expect(sidsOf(page, key)).not.toContain(doomed.sid);
  });
});

describe('Function Versions', () => {
  let service: Body;
  let fn: Body;
  let version: Body;
  const SOURCE = "exports.handler = (context, event, callback) => callback(null, 'hi ✓');\n";

  beforeAll(async () => {
    service = await newService();
    fn = await newDeployable('function', service.sid as string, 'hello');
  });

  it('the upload answers 201 with a body that conforms to serverless.v1.service.function.function_version (closed)', async () => {
    const response = await upload(stack, 'Functions', service.sid as string, fn.sid as string, { Path: 'hello', Visibility: 'protected', Content: SOURCE });
    version = await expectJson(response, 201);
    expect(schemaProblems('serverless.v1.service.function.function_version', version)).toEqual([]);
    expect(schemaProblems('serverless.v1.service.function.function_version', version, { closed: true })).toEqual([]);
    const versionUrl = urls.version('function', service.sid as string, fn.sid as string, version.sid as string);
    expect(version).toMatchObject({
      account_sid: ACCOUNT.sid,
      service_sid: service.sid,
      function_sid: fn.sid,
      path: '/hello',
      visibility: 'protected',
      url: versionUrl,
      links: { function_version_content: `${versionUrl}/Content` },
    });
    expect(version.sid).toMatch(/^ZN[0-9a-f]{32}$/);
  });

  it('ListFunctionVersion 200 conforms: key function_versions, page_size 50, the uploaded version', async () => {
    await expectJson(
      await upload(stack, 'Functions', service.sid as string, fn.sid as string, { Path: '/hello', Visibility: 'public', Content: 'second' }),
      201,
    );
    const page = await expectConforms('ListFunctionVersion', 200, await request(urls.versions('function', service.sid as string, fn.sid as string)));
    expect(meta(page)).toMatchObject({ key: 'function_versions', page_size: 50, next_page_url: null });
    expect(page.function_versions).toContainEqual(version);
    expect(page.function_versions).toHaveLength(2);
  });

  it('FetchFunctionVersion 200 conforms and answers the uploaded version', async () => {
    const url = urls.version('function', service.sid as string, fn.sid as string, version.sid as string);
    expect(await expectConforms('FetchFunctionVersion', 200, await request(url))).toEqual(version);
  });

  it('FetchFunctionVersionContent 200 conforms and carries the uploaded text', async () => {
    const url = urls.content(service.sid as string, fn.sid as string, version.sid as string);
    const content = await expectConforms('FetchFunctionVersionContent', 200, await request(url));
    expect(content).toEqual({ sid: version.sid, account_sid: ACCOUNT.sid, service_sid: service.sid, function_sid: fn.sid, content: SOURCE, url });
  });

  it('the seeded versions (no stored content) conform too', async () => {
    for (const sid of FUNCTION_VERSIONS) {
      await expectConforms('FetchFunctionVersion', 200, await request(urls.version('function', SERVICE, FUNCTION, sid)));
      const content = await expectConforms('FetchFunctionVersionContent', 200, await request(urls.content(SERVICE, FUNCTION, sid)));
      expect(content.content).toBe('');
    }
    const page = await expectConforms('ListFunctionVersion', 200, await request(urls.versions('function', SERVICE, FUNCTION)));
    expect(sidsOf(page, 'function_versions').sort()).toEqual([...FUNCTION_VERSIONS].sort());
  });
});

describe('Asset Versions', () => {
  let service: Body;
  let asset: Body;
  let version: Body;

  beforeAll(async () => {
    service = await newService();
    asset = await newDeployable('asset', service.sid as string, 'logo');
  });

  it('the upload answers 201 with a body that conforms to serverless.v1.service.asset.asset_version (closed)', async () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
    const response = await upload(stack, 'Assets', service.sid as string, asset.sid as string, {
      Path: '/logo.png',
      Visibility: 'private',
      Content: bytes,
      contentType: 'image/png',
      filename: 'logo.png',
    });
    version = await expectJson(response, 201);
    expect(schemaProblems('serverless.v1.service.asset.asset_version', version)).toEqual([]);
    expect(schemaProblems('serverless.v1.service.asset.asset_version', version, { closed: true })).toEqual([]);
    expect(version).toMatchObject({
      account_sid: ACCOUNT.sid,
      service_sid: service.sid,
      asset_sid: asset.sid,
      path: '/logo.png',
      visibility: 'private',
      url: urls.version('asset', service.sid as string, asset.sid as string, version.sid as string),
    });
  });

  it('ListAssetVersion 200 conforms: key asset_versions, page_size 50, the uploaded version', async () => {
    const page = await expectConforms('ListAssetVersion', 200, await request(urls.versions('asset', service.sid as string, asset.sid as string)));
    expect(meta(page)).toMatchObject({ key: 'asset_versions', page_size: 50, next_page_url: null, previous_page_url: null });
    expect(page.asset_versions).toEqual([version]);
  });

  it('FetchAssetVersion 200 conforms and answers the uploaded version', async () => {
    const url = urls.version('asset', service.sid as string, asset.sid as string, version.sid as string);
    expect(await expectConforms('FetchAssetVersion', 200, await request(url))).toEqual(version);
  });

  it('the seeded asset versions conform too', async () => {
    for (const sid of ASSET_VERSIONS) await expectConforms('FetchAssetVersion', 200, await request(urls.version('asset', SERVICE, ASSET, sid)));
    const page = await expectConforms('ListAssetVersion', 200, await request(urls.versions('asset', SERVICE, ASSET)));
    expect(sidsOf(page, 'asset_versions').sort()).toEqual([...ASSET_VERSIONS].sort());
  });
});

describe('list envelopes', () => {
  const LISTS = [
    { operationId: 'ListService', key: 'services', url: () => urls.services() },
    { operationId: 'ListFunction', key: 'functions', url: () => urls.deployables('function', SERVICE) },
    { operationId: 'ListAsset', key: 'assets', url: () => urls.deployables('asset', SERVICE) },
    { operationId: 'ListFunctionVersion', key: 'function_versions', url: () => urls.versions('function', SERVICE, FUNCTION) },
    { operationId: 'ListAssetVersion', key: 'asset_versions', url: () => urls.versions('asset', SERVICE, ASSET) },
  ];

  describe.each(LISTS)('$operationId', ({ operationId, key, url }) => {
    it('meta.key is the list’s key, page_size defaults to 50, and the URLs are absolute', async () => {
      const page = await expectConforms(operationId, 200, await request(url()));
      expect(Object.keys(page).sort()).toEqual([key, 'meta'].sort());
      expect(meta(page)).toMatchObject({ key, page: 0, page_size: 50 });
      expect(meta(page).first_page_url.startsWith(`${url()}?`)).toBe(true);
      expect(meta(page).url.startsWith(`${url()}?`)).toBe(true);
      expect(new URL(meta(page).first_page_url).searchParams.get('PageSize')).toBe('50');
    });

    it.each([1, 2, 1000])('PageSize=%i is accepted and echoed in meta.page_size', async (size) => {
      const page = await expectConforms(operationId, 200, await request(`${url()}?PageSize=${size}`));
      expect(meta(page).page_size).toBe(size);
      expect((page[key] as unknown[]).length).toBeLessThanOrEqual(size);
    });

    it.each(['0', '1001', 'abc', '-1', '2.5'])('PageSize=%s is a 400 / 20001 naming PageSize', async (size) => {
      const error = await expectTwilioError(await request(`${url()}?PageSize=${size}`), 400, 20001);
      expect(error.message).toContain('PageSize');
    });
  });

  describe('walking ListFunction with PageSize=2 over 5 functions', () => {
    let service: Body;
    const created: string[] = [];
    const forward: Body[] = [];

    beforeAll(async () => {
      service = await newService();
      for (let i = 0; i < 5; i++) {
        created.push((await createDeployable(stack, 'Functions', service.sid as string, `fn ${i}`)).sid);
      }
    });

    it('following meta.next_page_url verbatim returns each function exactly once, with no trailing empty page', async () => {
      let next: string | null = `${urls.deployables('function', service.sid as string)}?PageSize=2`;
      while (next) {
        expect(next.startsWith(`${stack.baseUrl}/`), `absolute next_page_url: ${next}`).toBe(true);
        const page = await expectConforms('ListFunction', 200, await request(next));
        forward.push(page);
        next = meta(page).next_page_url;
        expect(forward.length).toBeLessThan(10);
      }
      expect(forward.map((page) => (page.functions as Body[]).length)).toEqual([2, 2, 1]);
      const seen = forward.flatMap((page) => sidsOf(page, 'functions'));
      expect(seen).toHaveLength(5);
      expect(new Set(seen)).toEqual(new Set(created));
      expect(forward.map((page) => meta(page).page)).toEqual([0, 1, 2]);
      expect(forward.map((page) => meta(page).page_size)).toEqual([2, 2, 2]);
      expect(meta(forward[0]!).previous_page_url).toBeNull();
      expect(meta(forward[1]!).previous_page_url).not.toBeNull();
      expect(meta(forward.at(-1)!).next_page_url).toBeNull();
    });

    it('following meta.previous_page_url from the last page walks back over the same pages', async () => {
      const backward: Body[] = [forward.at(-1)!];
      let previous = meta(forward.at(-1)!).previous_page_url;
      while (previous) {
        expect(previous.startsWith(`${stack.baseUrl}/`), `absolute previous_page_url: ${previous}`).toBe(true);
        const page = await expectConforms('ListFunction', 200, await request(previous));
        backward.push(page);
        previous = meta(page).previous_page_url;
        expect(backward.length).toBeLessThan(10);
      }
      backward.reverse();
      expect(backward.map((page) => sidsOf(page, 'functions'))).toEqual(forward.map((page) => sidsOf(page, 'functions')));
      expect(backward.map((page) => meta(page).page)).toEqual([0, 1, 2]);
      // The first page, reached backwards, leads forward again to the second.
      const again = await expectConforms('ListFunction', 200, await request(meta(backward[0]!).next_page_url!));
      expect(sidsOf(again, 'functions')).toEqual(sidsOf(forward[1]!, 'functions'));
    });

    it('a last page that is exactly full has next_page_url null (PageSize=5, then PageSize=1 page by page)', async () => {
      const whole = await expectConforms('ListFunction', 200, await request(`${urls.deployables('function', service.sid as string)}?PageSize=5`));
      expect(sidsOf(whole, 'functions')).toHaveLength(5);
      expect(meta(whole).next_page_url).toBeNull();

      const single: string[][] = [];
      let next: string | null = `${urls.deployables('function', service.sid as string)}?PageSize=1`;
      while (next) {
        const page = await expectConforms('ListFunction', 200, await request(next));
        single.push(sidsOf(page, 'functions'));
        next = meta(page).next_page_url;
        expect(single.length).toBeLessThan(10);
      }
      expect(single).toEqual(sidsOf(whole, 'functions').map((sid) => [sid]));
    });
  });
});

describe('the validators can fail', () => {
  it('a function version body without links, or with an unknown visibility, fails its component schema', async () => {
    const page = await expectConforms('ListFunctionVersion', 200, await request(urls.versions('function', SERVICE, FUNCTION)));
    const sample = (page.function_versions as Body[])[0]!;
    const { links: _links, ...withoutLinks } = sample;
    expect(schemaProblems('serverless.v1.service.function.function_version', withoutLinks, { closed: true })).toContainEqual(
      expect.stringMatching(/must have required property 'links'/),
    );
    expect(schemaProblems('serverless.v1.service.function.function_version', { ...sample, visibility: 'PUBLIC' })).toContainEqual(
      expect.stringMatching(/^\/visibility must be equal to one of the allowed values/),
    );
  });

  it('a service with an extra property fails the closed schema only', async () => {
    const service = await expectConforms('FetchService', 200, await request(urls.service(SERVICE)));
    expect(bodyProblems('FetchService', 200, { ...service, extra: 1 })).toEqual([]);
    expect(bodyProblems('FetchService', 200, { ...service, extra: 1 }, { closed: true })).toContainEqual(
      expect.stringMatching(/must NOT have additional properties/),
    );
  });
});
