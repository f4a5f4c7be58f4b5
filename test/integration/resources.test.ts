import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROUTES, type Route } from '../../lambda/routes';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, ASSET, ASSET_VERSIONS, basicAuth, FUNCTION, FUNCTION_VERSIONS, OTHER_ACCOUNT, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import {
  type Account,
  type Created,
  call,
  createDeployable,
  createService,
  expectJson,
  expectNothingWritten,
  expectRouteWritesNothing,
  expectSameStore,
  expectTwilioError,
  getObject,
  objectKeys,
  objectTags,
  scanAll,
  snapshot,
  type UploadFields,
  upload,
  uploadForm,
  uploadVersion,
  waitForBuild,
} from '../support/resources';
import { startTestStack } from '../support/stack';

/**
 * The Services, Functions, Assets and Versions routes from the outside: every validation rule,
 * conflicts, authentication and tenant isolation on every route, uploads stored byte for byte,
 * deletes that leave nothing behind in DynamoDB or S3, and builds of uploaded versions. Each
 * refusal is checked to have written nothing, by comparing the table and the bucket before and after.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

let nameCounter = 0;
/** A unique name no other test of this file uses. */
const freshName = (prefix = 'svc') => `${prefix}-${process.pid}-${++nameCounter}`;

const OTHER_FUNCTION = 'ZH22222222222222222222222222222221';

/**
 * The routes this file covers: Services, Functions, Assets, their Versions, and the Builds routes
 * (which name the same services and versions). Routes of other families added to ROUTES later
 * need IDs of their own kinds and are left to their own tests.
 */
const COVERED_ENTRIES = new Set([
  'services',
  'functions',
  'upload-version',
  'create-build',
  'list-builds',
  'fetch-build',
  'delete-build',
  'fetch-build-status',
]);
const COVERED_ROUTES = ROUTES.filter((route) => COVERED_ENTRIES.has(route.entry));

const itemsOf = async (predicate: (item: Record<string, unknown>) => boolean) => (await scanAll(stack)).filter(predicate);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Every rule of these forms is a unit test of its schema (test/unit/schema.test.ts); here, one
 * refused form per route over HTTP: the route validates with its schema, answers 400 / 20001 with
 * the problem, and writes nothing (not even the content of an upload).
 */
describe('validation: 400 / 20001 naming the parameter, nothing written', () => {
  const long = (n: number) => 'a'.repeat(n);

  it('CreateService: a UniqueName in the form of a Service SID', async () => {
    const form = { UniqueName: `ZS${'a'.repeat(32)}`, FriendlyName: 'x' };
    await expectNothingWritten(stack, async () =>
      expectTwilioError(await call(stack, 'POST', '/v1/Services', { form }), 400, 20001, /^Invalid UniqueName: must not have the form of a Service SID$/),
    );
  });

  it('UpdateService: UiEditable=on (the update form: no UniqueName needed)', async () => {
    await expectNothingWritten(stack, async () =>
      expectTwilioError(
        await call(stack, 'POST', `/v1/Services/${SERVICE}`, { form: { UiEditable: 'on' } }),
        400,
        20001,
        /^Invalid UiEditable: must be true or false$/,
      ),
    );
  });

  it('accepts the boundaries: a 50-character unique name, a 255-character friendly name, TRUE/FALSE in any case', async () => {
    const uniqueName = `b${long(49)}`;
    const created = await expectJson(
      await call(stack, 'POST', '/v1/Services', { form: { UniqueName: uniqueName, FriendlyName: long(255), IncludeCredentials: 'FALSE', UiEditable: 'True' } }),
      201,
    );
    expect(created).toMatchObject({ unique_name: uniqueName, friendly_name: long(255), include_credentials: false, ui_editable: true });
  });

  describe.each([
    ['Functions', FUNCTION],
    ['Assets', ASSET],
  ] as const)('%s', (family, sid) => {
    it('create and update: a FriendlyName of 256 characters', async () => {
      const form = { Other: 'x', FriendlyName: long(256) };
      const message = /^Invalid FriendlyName: at most 255 characters$/;
      await expectNothingWritten(stack, async () => {
        await expectTwilioError(await call(stack, 'POST', `/v1/Services/${SERVICE}/${family}`, { form }), 400, 20001, message);
        await expectTwilioError(await call(stack, 'POST', `/v1/Services/${SERVICE}/${family}/${sid}`, { form }), 400, 20001, message);
      });
    });

    it('accepts a 255-character friendly name', async () => {
      const created = await createDeployable(stack, family, SERVICE, long(255));
      expect(created.friendly_name).toBe(long(255));
    });
  });

  const valid: UploadFields = { Path: '/x.js', Visibility: 'public', Content: 'x' };
  it('upload (function and asset versions): a Path of 256 characters once the leading / is added; no content is stored', async () => {
    await expectNothingWritten(stack, async () => {
      for (const [family, parent] of [
        ['Functions', FUNCTION],
        ['Assets', ASSET],
      ] as const) {
        await expectTwilioError(
          await upload(stack, family, SERVICE, parent, { ...valid, Path: long(255) }),
          400,
          20001,
          /^Invalid Path: at most 255 characters$/,
        );
      }
    });
  });

  it('upload: accepts a Path of exactly 255 characters, with or without its leading /', async () => {
    const bare = await uploadVersion(stack, 'Assets', SERVICE, ASSET, { ...valid, Path: long(254) });
    expect(bare.path).toBe(`/${long(254)}`);
    const slashed = await uploadVersion(stack, 'Assets', SERVICE, ASSET, { ...valid, Path: `/${long(254)}` });
    expect(slashed.path).toBe(`/${long(254)}`);
  });
});

describe('conflicts', () => {
  it('answers 409 / 20409 to a unique name the account already has, in any case, and writes nothing', async () => {
    const name = freshName('dup');
    await createService(stack, name);
    for (const again of [name, name.toUpperCase(), 'MAIN', 'Main']) {
      await expectNothingWritten(stack, async () =>
        expectTwilioError(await call(stack, 'POST', '/v1/Services', { form: { UniqueName: again, FriendlyName: 'again' } }), 409, 20409, /UniqueName/),
      );
    }
    // Unique names are per account.
    expect((await createService(stack, name, OTHER_ACCOUNT)).unique_name).toBe(name);
  });
});

/** The IDs a route's path parameters are filled from. */
interface Ids {
  service: string;
  function: string;
  asset: string;
  functionVersion: string;
  assetVersion: string;
  build: string;
}

/** A route's path with its parameters filled in: each `{…}` by the kind of resource its segment names. */
function pathOf(route: Route, ids: Ids): string {
  const segments = route.path.split('/');
  return segments
    .map((segment, index) => {
      if (!segment.startsWith('{')) return segment;
      switch (segments[index - 1]) {
        case 'Services':
          return ids.service;
        case 'Functions':
          return ids.function;
        case 'Assets':
          return ids.asset;
        case 'Versions':
          return route.path.includes('/Functions/') ? ids.functionVersion : ids.assetVersion;
        case 'Builds':
          return ids.build;
        default:
          throw new Error(`unknown parameter in ${route.path}`);
      }
    })
    .join('/');
}

/** A request body a route would accept (so that only the check under test can refuse it). */
function bodyOf(route: Route, ids: Ids): { form?: Record<string, string>; body?: FormData } {
  if (route.method !== 'POST') return {};
  switch (route.id) {
    case 'CreateService':
      return { form: { UniqueName: freshName('body'), FriendlyName: 'hijack' } };
    case 'CreateFunctionVersion':
    case 'CreateAssetVersion':
      return { body: uploadForm({ Path: '/hijack', Visibility: 'public', Content: 'hijack' }) };
    case 'CreateBuild':
      return { form: { FunctionVersions: ids.functionVersion } };
    default:
      return { form: { FriendlyName: 'hijack' } };
  }
}

const send = (route: Route, ids: Ids, account: Account | null, headers: Record<string, string> = {}) =>
  call(stack, route.method, pathOf(route, ids), { account, headers, ...bodyOf(route, ids) });

describe('authentication and tenant isolation on every route', () => {
  let own: Ids;
  let theirs: Ids;
  const SECRET = `exports.handler = () => 'the other account’s secret ${randomBytes(8).toString('hex')}';`;

  beforeAll(async () => {
    const ownBuild = await expectJson(await call(stack, 'POST', `/v1/Services/${SERVICE}/Builds`, { form: { FunctionVersions: FUNCTION_VERSIONS[0]! } }), 201);
    own = {
      service: SERVICE,
      function: FUNCTION,
      asset: ASSET,
      functionVersion: FUNCTION_VERSIONS[0]!,
      assetVersion: ASSET_VERSIONS[0]!,
      build: ownBuild.sid as string,
    };
    const asset = await createDeployable(stack, 'Assets', OTHER_SERVICE, 'their asset', OTHER_ACCOUNT);
    const functionVersion = await uploadVersion(
      stack,
      'Functions',
      OTHER_SERVICE,
      OTHER_FUNCTION,
      { Path: '/secret', Visibility: 'private', Content: SECRET },
      OTHER_ACCOUNT,
    );
    const assetVersion = await uploadVersion(
      stack,
      'Assets',
      OTHER_SERVICE,
      asset.sid,
      { Path: '/secret.txt', Visibility: 'private', Content: SECRET },
      OTHER_ACCOUNT,
    );
    const build = await expectJson(
      await call(stack, 'POST', `/v1/Services/${OTHER_SERVICE}/Builds`, { account: OTHER_ACCOUNT, form: { FunctionVersions: functionVersion.sid } }),
      201,
    );
    theirs = {
      service: OTHER_SERVICE,
      function: OTHER_FUNCTION,
      asset: asset.sid,
      functionVersion: functionVersion.sid,
      assetVersion: assetVersion.sid,
      build: build.sid as string,
    };
  });

  const GETS = COVERED_ROUTES.filter((route) => route.method === 'GET');
  const WITH_PARAMS = COVERED_ROUTES.filter((route) => route.path.includes('{'));

  it('(control) every GET route answers 200 to the owner, with these IDs', async () => {
    for (const route of GETS) {
      expect((await send(route, own, ACCOUNT)).status, `${route.id} own`).toBe(200);
      expect((await send(route, theirs, OTHER_ACCOUNT)).status, `${route.id} theirs`).toBe(200);
    }
    expect(
      ((await expectJson(await send(ROUTES.find((route) => route.id === 'FetchFunctionVersionContent')!, theirs, OTHER_ACCOUNT), 200)) as { content: string })
        .content,
    ).toBe(SECRET);
  });

  /** Every kind of credential the API must refuse; each is also a unit test of parseBasicAuth or authenticate (test/unit/http.test.ts). */
  const BAD_CREDENTIALS: Array<[string, Account | null, Record<string, string>?]> = [
    ['no Authorization header', null],
    ['a wrong token', { sid: ACCOUNT.sid, auth_token: 'wrong-token-wrong-token' }],
    ["another account's token", { sid: ACCOUNT.sid, auth_token: OTHER_ACCOUNT.auth_token }],
    ['an unknown account', { sid: `AC${'9'.repeat(32)}`, auth_token: ACCOUNT.auth_token }],
    ['a malformed header', null, { Authorization: 'Basic !!!' }],
    ['a Bearer token', null, { Authorization: `Bearer ${ACCOUNT.auth_token}` }],
  ];
  /** The one bad credential every route is sent: it gets past the header's parsing, so only the route's own check can refuse it. */
  const WRONG_TOKEN = { sid: ACCOUNT.sid, auth_token: 'wrong-token-wrong-token' };

  it('covers the 27 routes of Services, Functions, Assets, Versions and Builds', () => {
    expect(COVERED_ROUTES).toHaveLength(27);
  });

  it.each(['ListService', 'CreateService'])('%s answers every kind of bad credential with 401 and WWW-Authenticate, and writes nothing', async (id) => {
    const route = ROUTES.find((candidate) => candidate.id === id)!;
    await expectNothingWritten(stack, async () => {
      for (const [what, account, headers] of BAD_CREDENTIALS) {
        const response = await send(route, own, account, headers);
        expect(response.headers.get('www-authenticate'), what).toBe('Basic realm="Twilio API"');
        await expectTwilioError(response, 401, 20003);
      }
    });
  });

  it.each(COVERED_ROUTES.map((route) => [route.id, route] as const))(
    '%s answers 401 with WWW-Authenticate to a wrong token; a POST or DELETE writes nothing',
    async (_, route) => {
      await expectRouteWritesNothing(stack, route, async () => {
        const response = await send(route, own, WRONG_TOKEN);
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="Twilio API"');
        await expectTwilioError(response, 401, 20003);
      });
    },
  );

  const expect404 = async (route: Route, ids: Ids) => {
    const response = await send(route, ids, ACCOUNT);
    const text = await response.text();
    expect(response.status, `${route.id} ${pathOf(route, ids)}: ${text}`).toBe(404);
    expect(JSON.parse(text)).toMatchObject({ code: 20404, status: 404 });
    expect(text).not.toContain('secret');
  };

  it.each(WITH_PARAMS.map((route) => [route.id, route] as const))(
    "%s answers 404 / 20404 for another account's resources (by SID, and its service by unique name); a POST or DELETE writes nothing",
    async (_, route) => {
      await expectRouteWritesNothing(stack, route, async () => {
        await expect404(route, theirs);
        await expect404(route, { ...theirs, service: 'other' });
        await expect404(route, { ...theirs, service: 'OTHER' });
      });
    },
  );

  it.each(WITH_PARAMS.filter((route) => route.path.split('{').length > 2).map((route) => [route.id, route] as const))(
    "%s answers 404 / 20404 for another account's function, asset, version or build named under the caller's own service; a POST or DELETE writes nothing",
    async (_, route) => {
      await expectRouteWritesNothing(stack, route, async () => {
        // Their function, asset, version or build under our service.
        await expect404(route, { ...theirs, service: SERVICE });
        // Our function or asset, their version.
        if (route.path.includes('/Versions/{')) await expect404(route, { ...own, functionVersion: theirs.functionVersion, assetVersion: theirs.assetVersion });
        // Our service, their build.
        if (route.path.includes('/Builds/{')) await expect404(route, { ...own, build: theirs.build });
      });
    },
  );

  it("the service routes answer by the caller's own unique name, never by another account's", async () => {
    expect((await expectJson(await call(stack, 'GET', '/v1/Services/main'), 200)).sid).toBe(SERVICE);
    expect((await expectJson(await call(stack, 'GET', '/v1/Services/other', { account: OTHER_ACCOUNT }), 200)).sid).toBe(OTHER_SERVICE);
    await expectNothingWritten(stack, async () => {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const response = await call(stack, method, '/v1/Services/other', method === 'POST' ? { form: { FriendlyName: 'hijack' } } : {});
        await expectTwilioError(response, 404, 20404);
      }
    });
  });

  it("lists never show another account's services, functions, assets or versions", async () => {
    const services = (await expectJson(await call(stack, 'GET', '/v1/Services?PageSize=1000'), 200)).services as Created[];
    expect(services.map((service) => service.sid)).toContain(SERVICE);
    expect(JSON.stringify(services)).not.toContain(OTHER_ACCOUNT.sid);
  });

  it("no content of another account's version can be read by any route", async () => {
    for (const route of GETS) {
      for (const ids of [theirs, { ...theirs, service: SERVICE }, { ...own, functionVersion: theirs.functionVersion, assetVersion: theirs.assetVersion }]) {
        const text = await (await send(route, ids, ACCOUNT)).text();
        expect(text, route.id).not.toContain(SECRET);
        expect(text, route.id).not.toContain('secret');
      }
    }
  });

  it("another account's resources are all still there, unchanged", async () => {
    for (const route of GETS) expect((await send(route, theirs, OTHER_ACCOUNT)).status, route.id).toBe(200);
    const fn = await expectJson(await call(stack, 'GET', `/v1/Services/${OTHER_SERVICE}/Functions/${OTHER_FUNCTION}`, { account: OTHER_ACCOUNT }), 200);
    expect(fn.friendly_name).toBe('theirs');
  });
});

describe('methods and media types', () => {
  it.each([
    ['PUT', '/v1/Services', 'GET, POST, OPTIONS'],
    ['PATCH', `/v1/Services/${SERVICE}`, 'GET, POST, DELETE, OPTIONS'],
    ['PUT', `/v1/Services/${SERVICE}/Functions/${FUNCTION}/Versions`, 'GET, POST, OPTIONS'],
    ['DELETE', `/v1/Services/${SERVICE}/Assets/${ASSET}/Versions/${ASSET_VERSIONS[0]}`, 'GET, OPTIONS'],
    ['POST', `/v1/Services/${SERVICE}/Functions/${FUNCTION}/Versions/${FUNCTION_VERSIONS[0]}/Content`, 'GET, OPTIONS'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow) => {
    // The fallback answers it (lambda/handlers/fallback.ts): it has no store to write to, so no snapshot.
    const response = await call(stack, method, path, { form: { FriendlyName: 'x' } });
    expect(response.headers.get('allow')).toBe(allow);
    await expectTwilioError(response, 405, 20004);
  });

  it('answers 415 to a JSON body for CreateService, UpdateService and CreateFunction, and writes nothing', async () => {
    await expectNothingWritten(stack, async () => {
      for (const path of ['/v1/Services', `/v1/Services/${SERVICE}`, `/v1/Services/${SERVICE}/Functions`]) {
        const response = await call(stack, 'POST', path, {
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ UniqueName: freshName('json'), FriendlyName: 'json' }),
        });
        await expectTwilioError(response, 415, 20415, /application\/x-www-form-urlencoded/);
      }
    });
  });

  it('answers 415 to a urlencoded (or JSON, or boundary-less) body for an upload, and writes nothing', async () => {
    await expectNothingWritten(stack, async () => {
      for (const family of ['Functions', 'Assets'] as const) {
        const path = `/v1/Services/${SERVICE}/${family}/${family === 'Functions' ? FUNCTION : ASSET}/Versions`;
        await expectTwilioError(
          await call(stack, 'POST', path, { form: { Path: '/x', Visibility: 'public', Content: 'x' } }),
          415,
          20415,
          /multipart\/form-data/,
        );
        const json = await call(stack, 'POST', path, { headers: { 'Content-Type': 'application/json' }, body: '{"Path":"/x"}' });
        await expectTwilioError(json, 415, 20415, /multipart\/form-data/);
        const noBoundary = await call(stack, 'POST', path, { headers: { 'Content-Type': 'multipart/form-data' }, body: 'x' });
        await expectTwilioError(noBoundary, 415, 20415, /multipart\/form-data/);
        // A boundary the parser does not take is its 415, whatever the body.
        const odd = await call(stack, 'POST', path, { headers: { 'Content-Type': 'multipart/form-data; boundary=a_b' }, body: '--a_b\r\n' });
        await expectTwilioError(odd, 415, 20415, /multipart\/form-data/);
      }
    });
  });
});

describe('uploads', () => {
  let service: Created;
  let fn: Created;
  let asset: Created;
  beforeAll(async () => {
    service = await createService(stack, freshName('uploads'));
    fn = await createDeployable(stack, 'Functions', service.sid, 'hello');
    asset = await createDeployable(stack, 'Assets', service.sid, 'logo');
  });

  it('stores a function version as text and answers it byte for byte through …/Content (non-ASCII UTF-8 included)', async () => {
    const source = "// ✓ héllo wörld — 日本語 🎉 \u0000 \r\n\texports.handler = (context, event, callback) => callback(null, 'Grüße 👋');\n";
    const version = await uploadVersion(stack, 'Functions', service.sid, fn.sid, { Path: 'hello', Visibility: 'protected', Content: source });
    expect(version).toMatchObject({ path: '/hello', visibility: 'protected', function_sid: fn.sid, service_sid: service.sid, account_sid: ACCOUNT.sid });

    const content = await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/Functions/${fn.sid}/Versions/${version.sid}/Content`), 200);
    expect(content).toMatchObject({ sid: version.sid, function_sid: fn.sid, content: source });
    expect(Buffer.from(content.content as string, 'utf8').equals(Buffer.from(source, 'utf8'))).toBe(true);

    const key = `services/${service.sid}/versions/${version.sid}`;
    const stored = await getObject(stack, key);
    expect(stored.bytes.equals(Buffer.from(source, 'utf8'))).toBe(true);
    const [item] = await itemsOf((item) => item.sid === version.sid);
    expect(item).toMatchObject({ object_key: key, size: Buffer.byteLength(source), sha256: sha256(Buffer.from(source, 'utf8')), path: '/hello' });
  });

  it('stores a 200 KB binary asset version byte for byte in S3 with its content type, and its size and SHA-256 on the item', async () => {
    const bytes = randomBytes(200 * 1024);
    // Every byte value, and what could confuse a multipart parser: CRLF, dashes, a NUL run.
    bytes.set(
      Uint8Array.from({ length: 256 }, (_, i) => i),
      0,
    );
    bytes.set(Buffer.from('\r\n--\r\n\r\n--boundary\r\n\u0000\u0000\u0000\u00ff\u00ff'), 1000);
    bytes[bytes.length - 1] = 0xff;
    bytes[bytes.length - 2] = 0x00;
    const version = await uploadVersion(stack, 'Assets', service.sid, asset.sid, {
      Path: '/img/logo.png',
      Visibility: 'public',
      Content: bytes,
      contentType: 'image/png',
    });
    expect(version).toMatchObject({ path: '/img/logo.png', visibility: 'public', asset_sid: asset.sid });

    const key = `services/${service.sid}/versions/${version.sid}`;
    expect(await objectKeys(stack, `services/${service.sid}/`)).toContain(key);
    const stored = await getObject(stack, key);
    expect(stored.bytes.length).toBe(bytes.length);
    expect(stored.bytes.equals(bytes)).toBe(true);
    expect(stored.contentType).toBe('image/png');
    expect(await objectTags(stack, key)).toEqual({}); // referenced: the lifecycle rule leaves it alone
    const [item] = await itemsOf((item) => item.sid === version.sid);
    expect(item).toMatchObject({ object_key: key, content_type: 'image/png', size: bytes.length, sha256: sha256(bytes), asset_sid: asset.sid });
  });

  it('adds a leading / to a Path without one, and lists the versions it made', async () => {
    const version = await uploadVersion(stack, 'Assets', service.sid, asset.sid, {
      Path: 'style.css',
      Visibility: 'private',
      Content: 'body{}',
      contentType: 'text/css',
    });
    expect(version.path).toBe('/style.css');
    const page = await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/Assets/${asset.sid}/Versions`), 200);
    expect((page.asset_versions as Created[]).map((listed) => listed.sid)).toContain(version.sid);
    expect(await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/Assets/${asset.sid}/Versions/${version.sid}`), 200)).toEqual(version);
  });

  it("lists a function's versions and an asset's in the order they were uploaded (the ByParent index sorts by SID)", async () => {
    const listed = async (family: 'Functions' | 'Assets', parentSid: string) => {
      const page = await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/${family}/${parentSid}/Versions`), 200);
      return (page[family === 'Functions' ? 'function_versions' : 'asset_versions'] as Created[]).map((version) => version.sid);
    };
    for (const [family, name] of [
      ['Functions', 'ordered'],
      ['Assets', 'ordered asset'],
    ] as const) {
      const parent = await createDeployable(stack, family, service.sid, name);
      const uploaded: string[] = [];
      for (const path of ['/c', '/a', '/b'])
        uploaded.push((await uploadVersion(stack, family, service.sid, parent.sid, { Path: path, Visibility: 'public', Content: path })).sid);
      expect(await listed(family, parent.sid), family).toEqual(uploaded);
    }
  });

  it('a version is only found under its own function or asset', async () => {
    const version = await uploadVersion(stack, 'Functions', service.sid, fn.sid, { Path: '/mine', Visibility: 'public', Content: 'x' });
    const otherFn = await createDeployable(stack, 'Functions', service.sid, 'other');
    await expectTwilioError(await call(stack, 'GET', `/v1/Services/${service.sid}/Functions/${otherFn.sid}/Versions/${version.sid}`), 404, 20404);
    await expectTwilioError(await call(stack, 'GET', `/v1/Services/${service.sid}/Functions/${otherFn.sid}/Versions/${version.sid}/Content`), 404, 20404);
    await expectTwilioError(await call(stack, 'GET', `/v1/Services/${service.sid}/Assets/${asset.sid}/Versions/${version.sid}`), 404, 20404);
  });

  it('stores text sent as a plain Content field (no file part) whole, beyond busboy’s default field size', async () => {
    const text = `${'é'.repeat(5000)}✓`;
    const version = await uploadVersion(stack, 'Functions', service.sid, fn.sid, { Path: '/plain', Visibility: 'public', Content: text, contentField: true });
    const content = await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/Functions/${fn.sid}/Versions/${version.sid}/Content`), 200);
    expect((content.content as string).length).toBe(text.length);
    expect(content.content).toBe(text);
  });
  it('reads one file part, the first: a second Content file is not stored, and a Content file after another file is not read (400)', async () => {
    const twoFiles = (first: string, second: string) => {
      const form = new FormData();
      form.append('Path', '/two-files');
      form.append('Visibility', 'public');
      form.append(first, new Blob(['first'], { type: 'application/javascript' }), 'first.js');
      form.append(second, new Blob(['second'], { type: 'application/javascript' }), 'second.js');
      return call(stack, 'POST', `/v1/Services/${service.sid}/Functions/${fn.sid}/Versions`, { body: form });
    };
    const version = await expectJson<Created>(await twoFiles('Content', 'Content'), 201);
    const content = await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/Functions/${fn.sid}/Versions/${version.sid}/Content`), 200);
    expect(content.content).toBe('first');
    await expectNothingWritten(stack, async () => expectTwilioError(await twoFiles('Other', 'Content'), 400, 20001, /^Missing required parameter Content/));
  });
});

/** A service with a function and an asset, two versions each, and a completed build of all four. */
async function populatedService(prefix: string) {
  const service = await createService(stack, freshName(prefix));
  const fn = await createDeployable(stack, 'Functions', service.sid, 'fn');
  const asset = await createDeployable(stack, 'Assets', service.sid, 'asset');
  const functionVersions = [
    await uploadVersion(stack, 'Functions', service.sid, fn.sid, { Path: '/a', Visibility: 'public', Content: 'exports.handler = 1;' }),
    await uploadVersion(stack, 'Functions', service.sid, fn.sid, { Path: '/b', Visibility: 'protected', Content: 'exports.handler = 2;' }),
  ];
  const assetVersions = [
    await uploadVersion(stack, 'Assets', service.sid, asset.sid, {
      Path: '/a.txt',
      Visibility: 'public',
      Content: randomBytes(1000),
      contentType: 'application/octet-stream',
    }),
    await uploadVersion(stack, 'Assets', service.sid, asset.sid, { Path: '/b.txt', Visibility: 'private', Content: 'b', contentType: 'text/plain' }),
  ];
  const body = new URLSearchParams();
  for (const version of functionVersions) body.append('FunctionVersions', version.sid);
  for (const version of assetVersions) body.append('AssetVersions', version.sid);
  const build = await expectJson(
    await call(stack, 'POST', `/v1/Services/${service.sid}/Builds`, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body }),
    201,
  );
  expect(await waitForBuild(stack, service.sid, build.sid as string)).toBe('completed');
  const completed = await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/Builds/${build.sid}`), 200);
  return { service, fn, asset, functionVersions, assetVersions, build: completed };
}

describe('builds of uploaded versions', () => {
  it('a build of versions uploaded over HTTP completes and shows their paths and visibilities', async () => {
    const { service, functionVersions, assetVersions, build } = await populatedService('build');
    expect(build.status).toBe('completed');
    expect(build.function_versions).toEqual(
      functionVersions.map((version) =>
        expect.objectContaining({
          sid: version.sid,
          function_sid: version.function_sid,
          path: version.path,
          visibility: String(version.visibility).toUpperCase(),
        }),
      ),
    );
    expect(build.asset_versions).toEqual(
      assetVersions.map((version) =>
        expect.objectContaining({ sid: version.sid, asset_sid: version.asset_sid, path: version.path, visibility: String(version.visibility).toUpperCase() }),
      ),
    );
    expect((build.function_versions as Created[]).map((version) => [version.path, version.visibility])).toEqual([
      ['/a', 'PUBLIC'],
      ['/b', 'PROTECTED'],
    ]);
    expect((build.asset_versions as Created[]).map((version) => [version.path, version.visibility])).toEqual([
      ['/a.txt', 'PUBLIC'],
      ['/b.txt', 'PRIVATE'],
    ]);
    const status = await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/Builds/${build.sid}/Status`), 200);
    expect(status.status).toBe('completed');
  });
});

describe('deletes leave nothing behind', () => {
  const partitionOf = (serviceSid: string) => (item: Record<string, unknown>) => item.PK === `SERVICE#${serviceSid}`;

  it.each([
    ['Functions', 'fn', 'functionVersions', 'FUNCTION#'],
    ['Assets', 'asset', 'assetVersions', 'ASSET#'],
  ] as const)('deleting a %s item removes it, its versions and their content; builds and siblings stay', async (family, parentKey, versionsKey, sortPrefix) => {
    const populated = await populatedService(`del-${parentKey}`);
    const { service, build } = populated;
    const parent = populated[parentKey];
    const versions = populated[versionsKey];
    // A sibling of the same family, with a version, that must survive.
    const sibling = await createDeployable(stack, family, service.sid, 'sibling');
    const siblingVersion = await uploadVersion(stack, family, service.sid, sibling.sid, { Path: '/sibling', Visibility: 'public', Content: 'sibling' });
    const keys = versions.map((version) => `services/${service.sid}/versions/${version.sid}`);
    expect(await objectKeys(stack, `services/${service.sid}/`)).toEqual(expect.arrayContaining(keys));
    const before = await snapshot(stack);

    const response = await call(stack, 'DELETE', `/v1/Services/${service.sid}/${family}/${parent.sid}`);
    expect(response.status, await response.text()).toBe(204);

    const after = await snapshot(stack);
    const inPartition = (await scanAll(stack)).filter(partitionOf(service.sid));
    expect(inPartition.filter((item) => item.SK === `${sortPrefix}${parent.sid}`)).toEqual([]);
    for (const version of versions) expect(inPartition.filter((item) => item.sid === version.sid)).toEqual([]);
    const objects = await objectKeys(stack);
    for (const key of keys) expect(objects).not.toContain(key);
    // Exactly the parent, its two versions and their two objects are gone; nothing else changed.
    expect(before.items.size - after.items.size).toBe(3);
    expect(before.objects.length - after.objects.length).toBe(2);
    for (const [key, value] of after.items) expect(before.items.get(key), key).toBe(value);
    expect(objects).toContain(`services/${service.sid}/versions/${siblingVersion.sid}`);

    const base = `/v1/Services/${service.sid}/${family}/${parent.sid}`;
    await expectTwilioError(await call(stack, 'GET', base), 404, 20404);
    await expectTwilioError(await call(stack, 'GET', `${base}/Versions`), 404, 20404);
    for (const version of versions) await expectTwilioError(await call(stack, 'GET', `${base}/Versions/${version.sid}`), 404, 20404);
    await expectTwilioError(await call(stack, 'DELETE', base), 404, 20404);
    // The build made earlier from those versions is unchanged.
    expect(await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/Builds/${build.sid}`), 200)).toEqual(build);
    expect(await expectJson(await call(stack, 'GET', `/v1/Services/${service.sid}/${family}/${sibling.sid}/Versions/${siblingVersion.sid}`), 200)).toEqual(
      siblingVersion,
    );
  });

  describe.each([
    ['Functions', 'FUNCTION#'],
    ['Assets', 'ASSET#'],
  ] as const)('an upload to a deleted %s item', (family, sortPrefix) => {
    const fields: UploadFields = { Path: '/late', Visibility: 'public', Content: 'exports.handler = 1;' };
    const notFound = (parentSid: string) => new RegExp(`^The requested resource /v1/Services/${SERVICE}/${family}/${parentSid}/Versions was not found$`);

    it('deleted before the request answers 404 / 20404 and writes nothing', async () => {
      const parent = await createDeployable(stack, family, SERVICE, 'deleted before');
      expect((await call(stack, 'DELETE', `/v1/Services/${SERVICE}/${family}/${parent.sid}`)).status).toBe(204);
      await expectNothingWritten(stack, async () =>
        expectTwilioError(await upload(stack, family, SERVICE, parent.sid, fields), 404, 20404, notFound(parent.sid)),
      );
    });

    it('deleted after the handler read it and put the content answers 404 / 20404, and leaves no version item and no object', async () => {
      const parent = await createDeployable(stack, family, SERVICE, 'deleted mid-upload');
      const before = await snapshot(stack);
      const { deployables } = await import('../../lambda/store');
      const insertVersion = deployables.insertVersion.bind(deployables);
      let raced: { sid: string; object_key?: string } | undefined;
      // The race made certain: the delete lands between the content's put and the version's write.
      const spy = vi.spyOn(deployables, 'insertVersion').mockImplementationOnce(async (version) => {
        raced = version;
        expect(await objectKeys(stack)).toContain(version.object_key);
        expect((await call(stack, 'DELETE', `/v1/Services/${SERVICE}/${family}/${parent.sid}`)).status).toBe(204);
        return insertVersion(version);
      });
      try {
        await expectTwilioError(await upload(stack, family, SERVICE, parent.sid, fields), 404, 20404, notFound(parent.sid));
      } finally {
        spy.mockRestore();
      }

      expect(raced?.object_key).toBe(`services/${SERVICE}/versions/${raced?.sid}`);
      const after = await snapshot(stack);
      expect((await scanAll(stack)).filter((item) => item.sid === raced?.sid)).toEqual([]);
      expect(after.objects).not.toContain(raced?.object_key);
      // Exactly the parent is gone; nothing else was written, changed or deleted.
      expect([...before.items.keys()].filter((key) => !after.items.has(key))).toEqual([`SERVICE#${SERVICE}|${sortPrefix}${parent.sid}`]);
      for (const [key, value] of after.items) expect(before.items.get(key), key).toBe(value);
      expect(after.objects).toEqual(before.objects);
    });
  });

  it('deleting a service removes every item of its partition, its name, all its content; the name is free at once and every route answers 404', async () => {
    const { service, fn, asset, functionVersions, assetVersions, build } = await populatedService('del-service');
    const bystander = await populatedService('bystander');
    const uniqueName = service.unique_name as string;
    expect((await scanAll(stack)).filter(partitionOf(service.sid)).length).toBeGreaterThanOrEqual(7);
    expect((await objectKeys(stack, `services/${service.sid}/`)).length).toBe(4);
    const before = await snapshot(stack);

    const response = await call(stack, 'DELETE', `/v1/Services/${service.sid}`);
    expect(response.status, await response.text()).toBe(204);

    const items = await scanAll(stack);
    expect(items.filter(partitionOf(service.sid))).toEqual([]);
    expect(items.filter((item) => item.SK === `SERVICE#${service.sid}`)).toEqual([]);
    expect(items.filter((item) => item.SK === `SERVICENAME#${uniqueName.toLowerCase()}`)).toEqual([]);
    expect(items.filter((item) => JSON.stringify(item).includes(service.sid))).toEqual([]);
    expect(await objectKeys(stack, `services/${service.sid}/`)).toEqual([]);
    // Nothing of any other service changed.
    const after = await snapshot(stack);
    for (const [key, value] of after.items) expect(before.items.get(key), key).toBe(value);
    expect(after.objects).toEqual(before.objects.filter((key) => !key.startsWith(`services/${service.sid}/`)));
    expect((await objectKeys(stack, `services/${bystander.service.sid}/`)).length).toBe(4);

    const ids: Ids = {
      service: service.sid,
      function: fn.sid,
      asset: asset.sid,
      functionVersion: functionVersions[0]!.sid,
      assetVersion: assetVersions[0]!.sid,
      build: build.sid as string,
    };
    await expectNothingWritten(stack, async () => {
      for (const route of COVERED_ROUTES.filter((route) => route.path.includes('{'))) {
        const refused = await send(route, ids, ACCOUNT);
        expect(refused.status, `${route.id}: ${await refused.clone().text()}`).toBe(404);
        await expectTwilioError(refused, 404, 20404);
      }
      await expectTwilioError(await call(stack, 'GET', `/v1/Services/${uniqueName}`), 404, 20404);
    });

    const again = await createService(stack, uniqueName);
    expect(again.sid).not.toBe(service.sid);
    expect((await expectJson(await call(stack, 'GET', `/v1/Services/${uniqueName}`), 200)).sid).toBe(again.sid);
    expect(await expectJson(await call(stack, 'GET', `/v1/Services/${again.sid}/Functions`), 200)).toMatchObject({ functions: [] });
  });
});

describe('fuzzed multipart uploads (property)', () => {
  const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
  const BOUNDARY = 'fuzzboundary1234';
  const text = fc.oneof(fc.constantFrom('/x', 'x', '', 'public', 'protected', 'private', 'PUBLIC', '\u0000', '"', '\r\n'), fc.string({ maxLength: 30 }));
  const part = fc.record({
    name: fc.oneof(fc.constantFrom('Path', 'Visibility', 'Content', 'Content', 'Other', ''), fc.string({ maxLength: 10 })),
    filename: fc.option(fc.oneof(fc.constantFrom('a.js', '', '../../etc/passwd'), fc.string({ maxLength: 10 })), { nil: undefined }),
    type: fc.option(fc.constantFrom('text/plain', 'image/png', 'application/octet-stream', '', 'x'), { nil: undefined }),
    value: fc.oneof(
      text.map((value) => Buffer.from(value, 'utf8')),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    ),
  });
  const structured = fc
    .record({
      parts: fc.array(part, { maxLength: 6 }),
      close: fc.boolean(),
      cut: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ parts, close, cut }) => {
      const chunks: Buffer[] = [];
      for (const { name, filename, type, value } of parts) {
        let head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"`;
        if (filename !== undefined) head += `; filename="${filename}"`;
        head += '\r\n';
        if (type !== undefined) head += `Content-Type: ${type}\r\n`;
        chunks.push(Buffer.from(`${head}\r\n`, 'utf8'), value, Buffer.from('\r\n'));
      }
      if (close) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
      const body = Buffer.concat(chunks);
      return cut === undefined ? body : body.subarray(0, cut % (body.length + 1));
    });
  const request = fc.record({
    body: fc.oneof(
      structured,
      structured,
      fc.uint8Array({ maxLength: 500 }).map((bytes) => Buffer.from(bytes)),
    ),
    contentType: fc.constantFrom(
      `multipart/form-data; boundary=${BOUNDARY}`,
      `multipart/form-data; boundary=${BOUNDARY}`,
      `multipart/form-data; boundary=${BOUNDARY}`,
      'multipart/form-data; boundary=other',
      'multipart/form-data',
      'application/octet-stream',
    ),
    family: fc.constantFrom('Functions', 'Assets'),
  });

  it(`never answers 5xx; a refusal writes nothing and a success writes one version and one object (${RUNS} cases)`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ body, contentType, family }) => {
        const before = await snapshot(stack);
        const path = `/v1/Services/${SERVICE}/${family}/${family === 'Functions' ? FUNCTION : ASSET}/Versions`;
        const response = await fetch(`${stack.baseUrl}${path}`, {
          method: 'POST',
          headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': contentType },
          body: new Uint8Array(body),
        });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, text).toBeLessThan(500);
        const after = await snapshot(stack);
        if (response.status === 201) {
          const { sid } = JSON.parse(text) as { sid: string };
          expect(after.items.size).toBe(before.items.size + 1);
          expect(after.objects).toEqual([...before.objects, `services/${SERVICE}/versions/${sid}`].sort());
        } else {
          expect(response.status).toBeGreaterThanOrEqual(400);
          expectSameStore(before, after);
        }
      }),
      { numRuns: RUNS },
    );
    // The generator reaches past the parser: refusals of several kinds.
    expect(statuses.has(400) && statuses.has(415)).toBe(true);
  });

  it('a body cut off inside a file part answers 400 / 20001, writes nothing, and throws nothing uncaught', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      await expectNothingWritten(stack, async () => {
        const body = Buffer.from(
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="Path"\r\n\r\n/cut\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="Visibility"\r\n\r\npublic\r\n` +
            `--${BOUNDARY}\r\nContent-Disposition: form-data; name="Content"; filename="a.js"\r\nContent-Type: text/plain\r\n\r\nexports.handler = `,
        );
        const response = await fetch(`${stack.baseUrl}/v1/Services/${SERVICE}/Functions/${FUNCTION}/Versions`, {
          method: 'POST',
          headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
          body,
        });
        await expectTwilioError(response, 400, 20001, /multipart/);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      // On Lambda an uncaught exception ends the execution environment, mid-invocation.
      expect(uncaught.map(String)).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });

  it('(control) the generator’s framing is valid: a hand-made body of that shape answers 201', async () => {
    const body = Buffer.concat([
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="Path"\r\n\r\nfuzz\r\n`),
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="Visibility"\r\n\r\npublic\r\n`),
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="Content"; filename="a.bin"\r\nContent-Type: image/png\r\n\r\n`),
      Buffer.from([0, 255, 13, 10, 45, 45]),
      Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    ]);
    const response = await fetch(`${stack.baseUrl}/v1/Services/${SERVICE}/Assets/${ASSET}/Versions`, {
      method: 'POST',
      headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
      body,
    });
    const version = await expectJson(response, 201);
    expect(version.path).toBe('/fuzz');
    expect((await getObject(stack, `services/${SERVICE}/versions/${version.sid}`)).bytes).toEqual(Buffer.from([0, 255, 13, 10, 45, 45]));
  });
});
