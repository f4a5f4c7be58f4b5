import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type Route } from '../../lambda/routes';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, FUNCTION, FUNCTION_VERSIONS, OTHER_ACCOUNT, OTHER_FUNCTION_VERSION, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import {
  type Account,
  buildItem,
  type Created,
  call,
  completedBuild,
  createDeployable,
  createEnvironment,
  createService,
  createVariable,
  deployBuild,
  environmentsPath,
  expectJson,
  expectNothingWritten,
  expectRouteWritesNothing,
  expectTwilioError,
  scanAll,
  snapshot,
  uploadVersion,
  waitForBuild,
} from '../support/resources';
import { startTestStack } from '../support/stack';

/**
 * The Environments, Variables, Deployments and Logs routes from the outside: every validation
 * rule, conflicts, authentication and tenant isolation on every route, the retention of deployed
 * builds (read from DynamoDB directly), deletes that leave nothing behind, and variable values
 * kept out of the logs. Each refusal is checked to have written nothing, by comparing the whole
 * table (a Scan) and the bucket before and after.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

let counter = 0;
/** A unique name no other test of this file uses. */
const freshName = (prefix = 'env') => `${prefix}-${process.pid}-${++counter}`;
/** A unique domain suffix (at most 16 letters, digits and dashes). */
const freshSuffix = () => `s${++counter}-${randomBytes(3).toString('hex')}`;

const HOUR = 3600;
const TTL_SECONDS = 24 * HOUR;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const long = (n: number, char = 'a') => char.repeat(n);

const ENV_ROUTES = ROUTES.filter((route) => route.entry === 'environments');
/**
 * The routes, deletes last and the environment's own delete at the very end: were a check
 * missing, a delete earlier in the run would remove the other account's resources and hide the
 * same hole in the routes after it.
 */
const ISOLATION_ORDER = [
  ...ENV_ROUTES.filter((route) => route.method !== 'DELETE'),
  ...ENV_ROUTES.filter((route) => route.method === 'DELETE').sort((a, b) => b.path.length - a.path.length),
];

const itemsWith = async (predicate: (item: Record<string, unknown>) => boolean) => (await scanAll(stack)).filter(predicate);
const sortKeyStartsWith = (prefix: string) => (item: Record<string, unknown>) => String(item.SK).startsWith(prefix);

/** A fresh environment of SERVICE, with a domain suffix unless `suffix` is false. */
const newEnvironment = (serviceSid = SERVICE, suffix = true, account: Account = ACCOUNT) =>
  createEnvironment(stack, serviceSid, { UniqueName: freshName(), ...(suffix ? { DomainSuffix: freshSuffix() } : {}) }, account);

describe('validation: 400 / 20001 naming the parameter, nothing written', () => {
  let environment: Created;
  let variable: Created;
  let build: Created;

  beforeAll(async () => {
    environment = await newEnvironment();
    variable = await createVariable(stack, SERVICE, environment.sid, 'EXISTING', 'value');
    build = await completedBuild(stack, SERVICE, { FunctionVersions: [FUNCTION_VERSIONS[0]!] });
  });

  it('CreateEnvironment: a DomainSuffix with a space', async () => {
    const form = { UniqueName: 'suffix-space', DomainSuffix: 'a b' };
    await expectNothingWritten(stack, async () =>
      expectTwilioError(
        await call(stack, 'POST', environmentsPath(SERVICE), { form }),
        400,
        20001,
        /^Invalid DomainSuffix: use only letters, digits and dashes$/,
      ),
    );
  });

  it('CreateEnvironment: an empty DomainSuffix is no suffix, and a service has one environment without a suffix (409 for a second)', async () => {
    const service = await expectJson<{ sid: string; domain_base: string }>(
      await call(stack, 'POST', '/v1/Services', { form: { UniqueName: freshName('bare'), FriendlyName: 'Bare' } }),
      201,
    );
    const production = await createEnvironment(stack, service.sid, { UniqueName: 'production', DomainSuffix: '' });
    expect(production).toMatchObject({ domain_suffix: null, domain_name: `${service.domain_base}.localhost` });
    await expectNothingWritten(stack, async () =>
      expectTwilioError(await call(stack, 'POST', environmentsPath(service.sid), { form: { UniqueName: 'another' } }), 409, 20409, /DomainSuffix/),
    );
  });

  it('CreateEnvironment accepts the boundaries: a 100-character unique name, a 16-character suffix', async () => {
    const uniqueName = `${freshName('b')}-${long(100)}`.slice(0, 100);
    const suffix = `${counter}-${long(16, 'z')}`.slice(0, 16);
    const created = await createEnvironment(stack, SERVICE, { UniqueName: uniqueName, DomainSuffix: suffix });
    const service = await expectJson(await call(stack, 'GET', `/v1/Services/${SERVICE}`), 200);
    expect(created).toMatchObject({
      unique_name: uniqueName,
      domain_suffix: suffix,
      domain_name: `${service.domain_base}-${suffix}.localhost`,
      build_sid: null,
    });
  });

  it('CreateVariable: a Value of 226 characters but 452 bytes (UTF-8)', async () => {
    await expectNothingWritten(stack, async () =>
      expectTwilioError(
        await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, '/Variables'), { form: { Key: 'WIDE', Value: long(226, 'é') } }),
        400,
        20001,
        /^Invalid Value: at most 450 bytes$/,
      ),
    );
  });

  it('UpdateVariable: a Value of 451 bytes alone (the update form: no Key needed)', async () => {
    await expectNothingWritten(stack, async () =>
      expectTwilioError(
        await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, `/Variables/${variable.sid}`), { form: { Value: long(451) } }),
        400,
        20001,
        /^Invalid Value: at most 450 bytes$/,
      ),
    );
  });

  it('CreateVariable and UpdateVariable accept the boundaries: a 128-character key, values of exactly 450 bytes', async () => {
    const key = long(128, 'K');
    const ascii = await createVariable(stack, SERVICE, environment.sid, key, long(450));
    expect(ascii).toMatchObject({ key, value: long(450) });
    for (const value of [long(225, 'é'), long(150, '✓'), '']) {
      const updated = await expectJson(
        await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, `/Variables/${ascii.sid}`), { form: { Value: value } }),
        200,
      );
      expect(updated).toMatchObject({ key, value });
    }
  });

  it.each([
    ['BuildSid malformed (the form)', { BuildSid: 'ZB123' }, /^Invalid BuildSid: 'ZB123' is not a Build SID$/],
    ['BuildSid that does not exist (the service)', { BuildSid: `ZB${'0'.repeat(32)}` }, /^Invalid BuildSid: ZB0{32} is not a build of this service$/],
    ['IsPlugin not a boolean, with a completed build', 'IsPlugin', /^Invalid IsPlugin: must be true or false$/],
  ] as const)('CreateDeployment: %s', async (_, given, message) => {
    const form = given === 'IsPlugin' ? { BuildSid: build.sid, IsPlugin: 'yes' } : given;
    await expectNothingWritten(stack, async () =>
      expectTwilioError(await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, '/Deployments'), { form }), 400, 20001, message),
    );
  });

  it("CreateDeployment: another account's build, named under our service or theirs, is a 400 naming BuildSid", async () => {
    const theirs = await completedBuild(stack, OTHER_SERVICE, { FunctionVersions: [OTHER_FUNCTION_VERSION] }, OTHER_ACCOUNT);
    await expectNothingWritten(stack, async () => {
      await expectTwilioError(
        await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, '/Deployments'), { form: { BuildSid: theirs.sid } }),
        400,
        20001,
        /^Invalid BuildSid/,
      );
    });
    expect((await buildItem(stack, OTHER_SERVICE, theirs.sid))?.deployed_to).toBeUndefined();
  });

  it('CreateDeployment: a completed build of another service of the same account is a 400 naming BuildSid', async () => {
    const service = await createService(stack, freshName('sibling'));
    const fn = await createDeployable(stack, 'Functions', service.sid, 'fn');
    const version = await uploadVersion(stack, 'Functions', service.sid, fn.sid, { Path: '/x', Visibility: 'public', Content: 'exports.handler = 1;' });
    const siblingBuild = await completedBuild(stack, service.sid, { FunctionVersions: [version.sid] });
    await expectNothingWritten(stack, async () => {
      await expectTwilioError(
        await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, '/Deployments'), { form: { BuildSid: siblingBuild.sid } }),
        400,
        20001,
        new RegExp(`^Invalid BuildSid: ${siblingBuild.sid}`),
      );
    });
    // And the other way round: SERVICE's build into the sibling service's environment.
    const siblingEnvironment = await newEnvironment(service.sid);
    await expectNothingWritten(stack, async () => {
      await expectTwilioError(
        await call(stack, 'POST', environmentsPath(service.sid, siblingEnvironment.sid, '/Deployments'), { form: { BuildSid: build.sid } }),
        400,
        20001,
        /^Invalid BuildSid/,
      );
    });
  });

  it('CreateDeployment: a build still building is a 400 naming BuildSid; nothing is written and the build expires as before', async () => {
    const target = await newEnvironment();
    const created = await expectJson<Created>(
      await call(stack, 'POST', `/v1/Services/${SERVICE}/Builds`, { form: { FunctionVersions: FUNCTION_VERSIONS[1]! } }),
      201,
    );
    expect(created.status).toBe('building');
    // The workflow writes the build (and its counters) on its own meanwhile: compare everything else.
    const others = async () =>
      new Map(
        (await scanAll(stack))
          .filter((item) => item.SK !== `BUILD#${created.sid}` && !String(item.SK).startsWith('RATE#'))
          .map((item) => [`${item.PK}|${item.SK}`, JSON.stringify(item, Object.keys(item).sort())]),
      );
    const before = await others();
    await expectTwilioError(
      await call(stack, 'POST', environmentsPath(SERVICE, target.sid, '/Deployments'), { form: { BuildSid: created.sid } }),
      400,
      20001,
      new RegExp(`^Invalid BuildSid: ${created.sid} is building`),
    );
    expect(await others()).toEqual(before);
    expect(await waitForBuild(stack, SERVICE, created.sid)).toBe('completed');
    const item = await buildItem(stack, SERVICE, created.sid);
    expect(item?.deployed_to).toBeUndefined();
    expect(item?.expires_at).toEqual(expect.any(Number));
    expect((await expectJson(await call(stack, 'GET', environmentsPath(SERVICE, target.sid)), 200)).build_sid).toBeNull();
    // Once completed, it deploys.
    await deployBuild(stack, SERVICE, target.sid, created.sid);
  });

  it('ListLog: a PageSize of 1001 (a GET: nothing to write)', async () => {
    const query = new URLSearchParams({ PageSize: '1001' });
    await expectTwilioError(await call(stack, 'GET', `${environmentsPath(SERVICE, environment.sid, '/Logs')}?${query}`), 400, 20001, /^Invalid PageSize/);
  });

  it('ListLog with valid filters is an empty page; FetchLog is a 404 for any log SID', async () => {
    const query = new URLSearchParams({ FunctionSid: FUNCTION, StartDate: '2026-01-01T00:00:00Z', EndDate: '2026-01-02T00:00:00.000Z' });
    const page = await expectJson(await call(stack, 'GET', `${environmentsPath(SERVICE, environment.sid, '/Logs')}?${query}`), 200);
    expect(page).toMatchObject({ logs: [], meta: { key: 'logs', next_page_url: null } });
    for (const sid of [`NO${'1'.repeat(32)}`, `NO${'f'.repeat(32)}`, 'NO123', 'not-a-sid']) {
      await expectTwilioError(await call(stack, 'GET', environmentsPath(SERVICE, environment.sid, `/Logs/${sid}`)), 404, 20404);
    }
  });

  it('malformed SIDs in the path are 404s', async () => {
    for (const path of [
      environmentsPath(SERVICE, 'ZE123'),
      environmentsPath(SERVICE, variable.sid),
      environmentsPath(SERVICE, environment.sid, '/Variables/ZV123'),
      environmentsPath(SERVICE, environment.sid, `/Variables/${environment.sid}`),
      environmentsPath(SERVICE, environment.sid, '/Deployments/ZD123'),
      environmentsPath('ZS123', environment.sid),
    ]) {
      await expectTwilioError(await call(stack, 'GET', path), 404, 20404);
    }
  });
});

describe('conflicts: 409 / 20409, nothing written', () => {
  it('a duplicate environment UniqueName, in any case, in the same service', async () => {
    const name = freshName('dup');
    await createEnvironment(stack, SERVICE, { UniqueName: name, DomainSuffix: freshSuffix() });
    for (const again of [name, name.toUpperCase()]) {
      await expectNothingWritten(stack, async () =>
        expectTwilioError(
          await call(stack, 'POST', environmentsPath(SERVICE), { form: { UniqueName: again, DomainSuffix: freshSuffix() } }),
          409,
          20409,
          /UniqueName/,
        ),
      );
      await expectNothingWritten(stack, async () =>
        expectTwilioError(await call(stack, 'POST', environmentsPath(SERVICE), { form: { UniqueName: again } }), 409, 20409, /UniqueName/),
      );
    }
  });

  it('a duplicate DomainSuffix, in any case, in the same service', async () => {
    const suffix = freshSuffix();
    await createEnvironment(stack, SERVICE, { UniqueName: freshName(), DomainSuffix: suffix });
    for (const again of [suffix, suffix.toUpperCase()]) {
      await expectNothingWritten(stack, async () =>
        expectTwilioError(
          await call(stack, 'POST', environmentsPath(SERVICE), { form: { UniqueName: freshName(), DomainSuffix: again } }),
          409,
          20409,
          /DomainSuffix/,
        ),
      );
    }
  });

  it('unique names and suffixes are per service', async () => {
    const name = freshName('shared');
    const suffix = freshSuffix();
    await createEnvironment(stack, SERVICE, { UniqueName: name, DomainSuffix: suffix });
    const other = await createService(stack, freshName('svc'));
    const again = await createEnvironment(stack, other.sid, { UniqueName: name, DomainSuffix: suffix });
    expect(again).toMatchObject({ unique_name: name, domain_suffix: suffix, domain_name: `${other.domain_base}-${suffix}.localhost` });
    expect(await createEnvironment(stack, OTHER_SERVICE, { UniqueName: name, DomainSuffix: suffix }, OTHER_ACCOUNT)).toMatchObject({ unique_name: name });
  });

  it('a duplicate variable Key on create; keys are case-sensitive and per environment', async () => {
    const environment = await newEnvironment();
    await createVariable(stack, SERVICE, environment.sid, 'API_KEY', 'one');
    await expectNothingWritten(stack, async () =>
      expectTwilioError(
        await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, '/Variables'), { form: { Key: 'API_KEY', Value: 'two' } }),
        409,
        20409,
        /^Variable with Key 'API_KEY' already exists$/,
      ),
    );
    expect((await createVariable(stack, SERVICE, environment.sid, 'api_key', 'lower')).key).toBe('api_key');
    const sibling = await newEnvironment();
    expect((await createVariable(stack, SERVICE, sibling.sid, 'API_KEY', 'elsewhere')).key).toBe('API_KEY');
  });

  it('an update to a Key another variable has; to its own Key it is a 200; a renamed key is free again', async () => {
    const environment = await newEnvironment();
    const a = await createVariable(stack, SERVICE, environment.sid, 'A', 'a');
    const b = await createVariable(stack, SERVICE, environment.sid, 'B', 'b');
    const path = environmentsPath(SERVICE, environment.sid, `/Variables/${b.sid}`);
    for (const form of [{ Key: 'A' }, { Key: 'A', Value: 'changed' }] as Record<string, string>[]) {
      await expectNothingWritten(stack, async () =>
        expectTwilioError(await call(stack, 'POST', path, { form }), 409, 20409, /^Variable with Key 'A' already exists$/),
      );
    }
    expect(await expectJson(await call(stack, 'POST', path, { form: { Key: 'B', Value: 'b2' } }), 200)).toMatchObject({ key: 'B', value: 'b2' });
    // Rename A to C: C is taken, A is free.
    await expectJson(await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, `/Variables/${a.sid}`), { form: { Key: 'C' } }), 200);
    await expectTwilioError(
      await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, '/Variables'), { form: { Key: 'C', Value: 'x' } }),
      409,
      20409,
    );
    expect((await createVariable(stack, SERVICE, environment.sid, 'A', 'new a')).key).toBe('A');
    const keys = (await itemsWith(sortKeyStartsWith(`VARKEY#${environment.sid}#`))).map((item) => item.SK).sort();
    expect(keys).toEqual([`VARKEY#${environment.sid}#A`, `VARKEY#${environment.sid}#B`, `VARKEY#${environment.sid}#C`]);
  });
});

/** The IDs a route's path parameters are filled from. */
interface Ids {
  service: string;
  environment: string;
  variable: string;
  deployment: string;
  log: string;
  /** Sent as BuildSid to CreateDeployment. */
  build: string;
}

const PARAMETER_OF_SEGMENT: Record<string, keyof Ids> = {
  Services: 'service',
  Environments: 'environment',
  Variables: 'variable',
  Deployments: 'deployment',
  Logs: 'log',
};

/** A route's path with its parameters filled in: each `{…}` by the kind of resource its segment names. */
function pathOf(route: Route, ids: Ids): string {
  const segments = route.path.split('/');
  return segments
    .map((segment, index) => {
      if (!segment.startsWith('{')) return segment;
      const kind = PARAMETER_OF_SEGMENT[segments[index - 1]!];
      if (!kind) throw new Error(`unknown parameter in ${route.path}`);
      return ids[kind];
    })
    .join('/');
}

/** A request body the route would accept (so that only the check under test can refuse it). */
function formOf(route: Route, ids: Ids): Record<string, string> | undefined {
  switch (route.id) {
    case 'CreateEnvironment':
      return { UniqueName: freshName('hijack'), DomainSuffix: freshSuffix() };
    case 'CreateVariable':
      return { Key: freshName('HIJACK'), Value: 'hijack' };
    case 'UpdateVariable':
      return { Key: freshName('HIJACKED'), Value: 'hijack' };
    case 'CreateDeployment':
      return { BuildSid: ids.build };
    default:
      return undefined;
  }
}

const send = (route: Route, ids: Ids, account: Account | null, headers: Record<string, string> = {}) => {
  const form = formOf(route, ids);
  return call(stack, route.method, pathOf(route, ids), { account, headers, ...(form ? { form } : {}) });
};

describe('authentication and tenant isolation on every route', () => {
  let own: Ids;
  let theirs: Ids;
  const SECRET = `their-secret-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    const ownEnvironment = await newEnvironment();
    const ownBuild = await completedBuild(stack, SERVICE, { FunctionVersions: [FUNCTION_VERSIONS[0]!] });
    own = {
      service: SERVICE,
      environment: ownEnvironment.sid,
      variable: (await createVariable(stack, SERVICE, ownEnvironment.sid, 'OWN', 'own value')).sid,
      deployment: (await deployBuild(stack, SERVICE, ownEnvironment.sid, ownBuild.sid)).sid,
      log: `NO${'1'.repeat(32)}`,
      build: ownBuild.sid,
    };
    const theirEnvironment = await newEnvironment(OTHER_SERVICE, true, OTHER_ACCOUNT);
    const theirBuild = await completedBuild(stack, OTHER_SERVICE, { FunctionVersions: [OTHER_FUNCTION_VERSION] }, OTHER_ACCOUNT);
    theirs = {
      service: OTHER_SERVICE,
      environment: theirEnvironment.sid,
      variable: (await createVariable(stack, OTHER_SERVICE, theirEnvironment.sid, 'SECRET', SECRET, OTHER_ACCOUNT)).sid,
      deployment: (await deployBuild(stack, OTHER_SERVICE, theirEnvironment.sid, theirBuild.sid, OTHER_ACCOUNT)).sid,
      log: `NO${'2'.repeat(32)}`,
      build: theirBuild.sid,
    };
  });

  const GETS = ENV_ROUTES.filter((route) => route.method === 'GET' && route.id !== 'FetchLog');

  it('covers the 14 routes of Environments, Variables, Deployments and Logs', () => {
    expect(ENV_ROUTES).toHaveLength(14);
    expect(ENV_ROUTES.every((route) => route.path.includes('{'))).toBe(true);
  });

  it('(control) every GET route but FetchLog answers 200 to the owner, with these IDs', async () => {
    for (const route of GETS) {
      expect((await send(route, own, ACCOUNT)).status, `${route.id} own`).toBe(200);
      expect((await send(route, theirs, OTHER_ACCOUNT)).status, `${route.id} theirs`).toBe(200);
    }
    const variable = await expectJson(
      await call(stack, 'GET', environmentsPath(OTHER_SERVICE, theirs.environment, `/Variables/${theirs.variable}`), { account: OTHER_ACCOUNT }),
      200,
    );
    expect(variable.value).toBe(SECRET);
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

  it('CreateVariable answers every kind of bad credential with 401 and WWW-Authenticate, for our environment and theirs, and writes nothing', async () => {
    const route = ENV_ROUTES.find((candidate) => candidate.id === 'CreateVariable')!;
    await expectNothingWritten(stack, async () => {
      for (const ids of [own, theirs]) {
        for (const [what, account, headers] of BAD_CREDENTIALS) {
          const response = await send(route, ids, account, headers);
          expect(response.headers.get('www-authenticate'), what).toBe('Basic realm="Twilio API"');
          await expectTwilioError(response, 401, 20003);
        }
      }
    });
  });

  it.each(ISOLATION_ORDER.map((route) => [route.id, route] as const))(
    '%s answers 401 with WWW-Authenticate to a wrong token (for our resources and theirs); a POST or DELETE writes nothing',
    async (_, route) => {
      await expectRouteWritesNothing(stack, route, async () => {
        for (const ids of [own, theirs]) {
          const response = await send(route, ids, WRONG_TOKEN);
          expect(response.headers.get('www-authenticate')).toBe('Basic realm="Twilio API"');
          await expectTwilioError(response, 401, 20003);
        }
      });
    },
  );

  const expect404 = async (route: Route, ids: Ids) => {
    const response = await send(route, ids, ACCOUNT);
    const text = await response.text();
    expect(response.status, `${route.id} ${pathOf(route, ids)}: ${text}`).toBe(404);
    expect(JSON.parse(text)).toMatchObject({ code: 20404, status: 404 });
    expect(text).not.toContain(SECRET);
  };

  it.each(ISOLATION_ORDER.map((route) => [route.id, route] as const))(
    "%s answers 404 / 20404 for another account's service and what is under it (by SID, and the service by unique name); a POST or DELETE writes nothing",
    async (_, route) => {
      await expectRouteWritesNothing(stack, route, async () => {
        await expect404(route, theirs);
        await expect404(route, { ...theirs, service: 'other' });
        await expect404(route, { ...theirs, service: 'OTHER' });
        // Their build named by our request, under their environment.
        await expect404(route, { ...theirs, build: own.build });
      });
    },
  );

  it.each(ISOLATION_ORDER.filter((route) => route.path.split('{').length > 2).map((route) => [route.id, route] as const))(
    "%s answers 404 / 20404 for another account's environment, variable or deployment named under the caller's own service; a POST or DELETE writes nothing",
    async (_, route) => {
      await expectRouteWritesNothing(stack, route, async () => {
        // Their environment (and what is under it) under our service.
        await expect404(route, { ...theirs, service: SERVICE, build: own.build });
        // Our environment, their variable or deployment.
        if (route.path.includes('/Variables/{')) await expect404(route, { ...own, variable: theirs.variable });
        if (route.path.includes('/Deployments/{')) await expect404(route, { ...own, deployment: theirs.deployment });
      });
    },
  );

  it('a variable or deployment is only found under its own environment, even of the same account', async () => {
    const sibling = await newEnvironment();
    await expectNothingWritten(stack, async () => {
      for (const route of ENV_ROUTES.filter((route) => /\/(Variables|Deployments)\/\{/.test(route.path))) {
        await expect404(route, { ...own, environment: sibling.sid });
      }
    });
  });

  it('their build cannot be deployed into our environment', async () => {
    await expectNothingWritten(stack, async () =>
      expectTwilioError(
        await call(stack, 'POST', environmentsPath(SERVICE, own.environment, '/Deployments'), { form: { BuildSid: theirs.build } }),
        400,
        20001,
        /BuildSid/,
      ),
    );
  });

  it("no list or response shows another account's environments, variables or deployments", async () => {
    const environments = await expectJson(await call(stack, 'GET', `${environmentsPath(SERVICE)}?PageSize=1000`), 200);
    expect(JSON.stringify(environments)).not.toContain(OTHER_ACCOUNT.sid);
    expect(JSON.stringify(environments)).not.toContain(theirs.environment);
    for (const route of GETS) {
      for (const ids of [theirs, { ...theirs, service: SERVICE }, { ...own, variable: theirs.variable, deployment: theirs.deployment }]) {
        expect(await (await send(route, ids, ACCOUNT)).text(), route.id).not.toContain(SECRET);
      }
    }
  });

  it("another account's resources are all still there, unchanged", async () => {
    for (const route of GETS) expect((await send(route, theirs, OTHER_ACCOUNT)).status, route.id).toBe(200);
    const variable = await expectJson(
      await call(stack, 'GET', environmentsPath(OTHER_SERVICE, theirs.environment, `/Variables/${theirs.variable}`), { account: OTHER_ACCOUNT }),
      200,
    );
    expect(variable).toMatchObject({ key: 'SECRET', value: SECRET });
    const environment = await expectJson(await call(stack, 'GET', environmentsPath(OTHER_SERVICE, theirs.environment), { account: OTHER_ACCOUNT }), 200);
    expect(environment.build_sid).toBe(theirs.build);
    const deployments = await expectJson(
      await call(stack, 'GET', environmentsPath(OTHER_SERVICE, theirs.environment, '/Deployments'), { account: OTHER_ACCOUNT }),
      200,
    );
    expect((deployments.deployments as Created[]).map((deployment) => deployment.sid)).toEqual([theirs.deployment]);
  });
});

describe('methods and media types', () => {
  const ENVIRONMENT = `ZE${'1'.repeat(32)}`;
  it.each([
    ['PUT', environmentsPath(SERVICE, ENVIRONMENT), 'GET, DELETE, OPTIONS'],
    ['POST', environmentsPath(SERVICE, ENVIRONMENT), 'GET, DELETE, OPTIONS'],
    ['PATCH', environmentsPath(SERVICE), 'GET, POST, OPTIONS'],
    ['PUT', environmentsPath(SERVICE, ENVIRONMENT, `/Variables/ZV${'1'.repeat(32)}`), 'GET, POST, DELETE, OPTIONS'],
    ['DELETE', environmentsPath(SERVICE, ENVIRONMENT, '/Deployments'), 'GET, POST, OPTIONS'],
    ['DELETE', environmentsPath(SERVICE, ENVIRONMENT, `/Deployments/ZD${'1'.repeat(32)}`), 'GET, OPTIONS'],
    ['POST', environmentsPath(SERVICE, ENVIRONMENT, '/Logs'), 'GET, OPTIONS'],
    ['DELETE', environmentsPath(SERVICE, ENVIRONMENT, `/Logs/NO${'1'.repeat(32)}`), 'GET, OPTIONS'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow) => {
    // The fallback answers it (lambda/handlers/fallback.ts): it has no store to write to, so no snapshot.
    const response = await call(stack, method, path, { form: { UniqueName: 'x', Key: 'x', Value: 'x' } });
    expect(response.headers.get('allow')).toBe(allow);
    await expectTwilioError(response, 405, 20004);
  });

  it('answers 415 to a JSON body on every form route, and writes nothing', async () => {
    const environment = await newEnvironment();
    const variable = await createVariable(stack, SERVICE, environment.sid, 'JSON', 'x');
    await expectNothingWritten(stack, async () => {
      for (const path of [
        environmentsPath(SERVICE),
        environmentsPath(SERVICE, environment.sid, '/Variables'),
        environmentsPath(SERVICE, environment.sid, `/Variables/${variable.sid}`),
        environmentsPath(SERVICE, environment.sid, '/Deployments'),
      ]) {
        const response = await call(stack, 'POST', path, {
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ UniqueName: 'json', Key: 'J', Value: 'v' }),
        });
        await expectTwilioError(response, 415, 20415, /application\/x-www-form-urlencoded/);
      }
    });
  });
});

/** Asserts that `expires_at` is now + BUILD_TTL_HOURS (24 h), give or take the test's own duration. */
const expectExpiresInADay = (item: Record<string, unknown> | undefined, from: number) => {
  expect(item, 'build item').toBeDefined();
  expect(item!.expires_at).toEqual(expect.any(Number));
  expect(item!.expires_at as number).toBeGreaterThanOrEqual(from + TTL_SECONDS);
  expect(item!.expires_at as number).toBeLessThanOrEqual(nowSeconds() + TTL_SECONDS);
  expect(item!.deployed_to).toBeUndefined();
};
const expectDeployedTo = (item: Record<string, unknown> | undefined, environments: string[]) => {
  expect(item, 'build item').toBeDefined();
  expect(item).not.toHaveProperty('expires_at');
  expect(item!.deployed_to).toBeInstanceOf(Set);
  expect([...(item!.deployed_to as Set<string>)].sort()).toEqual([...environments].sort());
};

describe('build retention: a deployed build never expires; a released one expires again', () => {
  const newBuild = (index = 0) => completedBuild(stack, SERVICE, { FunctionVersions: [FUNCTION_VERSIONS[index]!] });
  const deleteBuild = (sid: string) => call(stack, 'DELETE', `/v1/Services/${SERVICE}/Builds/${sid}`);

  it('deploying removes expires_at; the deployed build cannot be deleted (409, nothing deleted); deploying another build there gives it expires_at ≈ now + 24 h again', async () => {
    const first = await newBuild(0);
    const second = await newBuild(1);
    const created = await buildItem(stack, SERVICE, first.sid);
    expect(created?.expires_at, 'a new build expires').toEqual(expect.any(Number));
    const environment = await newEnvironment();

    await deployBuild(stack, SERVICE, environment.sid, first.sid);
    expectDeployedTo(await buildItem(stack, SERVICE, first.sid), [environment.sid]);
    expect((await expectJson(await call(stack, 'GET', environmentsPath(SERVICE, environment.sid)), 200)).build_sid).toBe(first.sid);

    await expectNothingWritten(stack, async () => expectTwilioError(await deleteBuild(first.sid), 409, 20409, /deployed/));
    expect(await expectJson(await call(stack, 'GET', `/v1/Services/${SERVICE}/Builds/${first.sid}`), 200)).toEqual(first);

    const from = nowSeconds();
    await deployBuild(stack, SERVICE, environment.sid, second.sid);
    expectExpiresInADay(await buildItem(stack, SERVICE, first.sid), from);
    expectDeployedTo(await buildItem(stack, SERVICE, second.sid), [environment.sid]);
    expect((await expectJson(await call(stack, 'GET', environmentsPath(SERVICE, environment.sid)), 200)).build_sid).toBe(second.sid);

    // Released, it can be deleted; the deployed one still cannot.
    expect((await deleteBuild(first.sid)).status).toBe(204);
    expect(await buildItem(stack, SERVICE, first.sid)).toBeUndefined();
    await expectTwilioError(await deleteBuild(second.sid), 409, 20409);
  });

  it('deploying the same build twice to an environment keeps it deployed there', async () => {
    const build = await newBuild(0);
    const environment = await newEnvironment();
    await deployBuild(stack, SERVICE, environment.sid, build.sid);
    await deployBuild(stack, SERVICE, environment.sid, build.sid);
    expectDeployedTo(await buildItem(stack, SERVICE, build.sid), [environment.sid]);
    const page = await expectJson(await call(stack, 'GET', environmentsPath(SERVICE, environment.sid, '/Deployments')), 200);
    expect(page.deployments).toHaveLength(2);
  });

  it('a build deployed to two environments stays without expires_at when one of them moves on, and expires again when the other is deleted', async () => {
    const shared = await newBuild(0);
    const next = await newBuild(1);
    const staging = await newEnvironment();
    const production = await newEnvironment(SERVICE, false);
    await deployBuild(stack, SERVICE, staging.sid, shared.sid);
    await deployBuild(stack, SERVICE, production.sid, shared.sid);
    expectDeployedTo(await buildItem(stack, SERVICE, shared.sid), [staging.sid, production.sid]);

    await deployBuild(stack, SERVICE, staging.sid, next.sid);
    expectDeployedTo(await buildItem(stack, SERVICE, shared.sid), [production.sid]);
    await expectNothingWritten(stack, async () => expectTwilioError(await deleteBuild(shared.sid), 409, 20409));

    const from = nowSeconds();
    expect((await call(stack, 'DELETE', environmentsPath(SERVICE, production.sid))).status).toBe(204);
    expectExpiresInADay(await buildItem(stack, SERVICE, shared.sid), from);
    expectDeployedTo(await buildItem(stack, SERVICE, next.sid), [staging.sid]);
    expect((await deleteBuild(shared.sid)).status).toBe(204);
  });

  it('after its environment is deleted, a build has expires_at back and can be deleted (204)', async () => {
    const build = await newBuild(1);
    const environment = await newEnvironment();
    await deployBuild(stack, SERVICE, environment.sid, build.sid);
    expectDeployedTo(await buildItem(stack, SERVICE, build.sid), [environment.sid]);

    const from = nowSeconds();
    expect((await call(stack, 'DELETE', environmentsPath(SERVICE, environment.sid))).status).toBe(204);
    expectExpiresInADay(await buildItem(stack, SERVICE, build.sid), from);

    const response = await deleteBuild(build.sid);
    expect(response.status, await response.text()).toBe(204);
    expect(await buildItem(stack, SERVICE, build.sid)).toBeUndefined();
    await expectTwilioError(await call(stack, 'GET', `/v1/Services/${SERVICE}/Builds/${build.sid}`), 404, 20404);
  });
});

describe('deletes leave nothing behind', () => {
  it('deleting an environment removes it, its variables, their keys, its deployments and its name and suffix reservations; the name and suffix can be reused', async () => {
    const name = freshName('doomed');
    const suffix = freshSuffix();
    const environment = await createEnvironment(stack, SERVICE, { UniqueName: name, DomainSuffix: suffix });
    const variables = [
      await createVariable(stack, SERVICE, environment.sid, 'ONE', '1'),
      await createVariable(stack, SERVICE, environment.sid, 'TWO', '2'),
      await createVariable(stack, SERVICE, environment.sid, 'THREE', '3'),
    ];
    await expectJson(
      await call(stack, 'POST', environmentsPath(SERVICE, environment.sid, `/Variables/${variables[2]!.sid}`), { form: { Key: 'RENAMED' } }),
      200,
    );
    const build = await completedBuild(stack, SERVICE, { FunctionVersions: [FUNCTION_VERSIONS[0]!] });
    const deployments = [await deployBuild(stack, SERVICE, environment.sid, build.sid), await deployBuild(stack, SERVICE, environment.sid, build.sid)];
    // A sibling environment, with a variable and a deployment of the same build, must survive.
    const sibling = await newEnvironment();
    const siblingVariable = await createVariable(stack, SERVICE, sibling.sid, 'ONE', 'sibling');
    await deployBuild(stack, SERVICE, sibling.sid, build.sid);

    const prefixes = [`VARIABLE#${environment.sid}#`, `VARKEY#${environment.sid}#`, `DEPLOYMENT#${environment.sid}#`];
    const reservations = [`ENVIRONMENT#${environment.sid}`, `ENVNAME#${name.toLowerCase()}`, `ENVSUFFIX#${suffix.toLowerCase()}`];
    const ofEnvironment = (item: Record<string, unknown>) =>
      item.PK === `SERVICE#${SERVICE}` && (prefixes.some((prefix) => String(item.SK).startsWith(prefix)) || reservations.includes(String(item.SK)));
    expect(await itemsWith(ofEnvironment)).toHaveLength(3 + 3 + 2 + 3);
    const before = await snapshot(stack);

    const response = await call(stack, 'DELETE', environmentsPath(SERVICE, environment.sid));
    expect(response.status, await response.text()).toBe(204);

    const items = await scanAll(stack);
    expect(items.filter(ofEnvironment)).toEqual([]);
    expect(items.filter((item) => JSON.stringify(item).includes(environment.sid))).toEqual([]);
    // Exactly those 11 items are gone; only the build changed (no longer deployed there).
    const after = await snapshot(stack);
    expect(before.items.size - after.items.size).toBe(11);
    for (const [key, value] of after.items) if (key !== `SERVICE#${SERVICE}|BUILD#${build.sid}`) expect(before.items.get(key), key).toBe(value);
    expectDeployedTo(await buildItem(stack, SERVICE, build.sid), [sibling.sid]);
    expect(await expectJson(await call(stack, 'GET', environmentsPath(SERVICE, sibling.sid, `/Variables/${siblingVariable.sid}`)), 200)).toMatchObject({
      value: 'sibling',
    });

    // Every route of the environment answers 404, and writes nothing.
    const ids: Ids = {
      service: SERVICE,
      environment: environment.sid,
      variable: variables[0]!.sid,
      deployment: deployments[0]!.sid,
      log: `NO${'3'.repeat(32)}`,
      build: build.sid,
    };
    await expectNothingWritten(stack, async () => {
      for (const route of ENV_ROUTES.filter((route) => route.id !== 'ListEnvironment' && route.id !== 'CreateEnvironment')) {
        const refused = await send(route, ids, ACCOUNT);
        expect(refused.status, `${route.id}: ${await refused.clone().text()}`).toBe(404);
        await expectTwilioError(refused, 404, 20404);
      }
    });

    const again = await createEnvironment(stack, SERVICE, { UniqueName: name, DomainSuffix: suffix });
    expect(again.sid).not.toBe(environment.sid);
    expect(again).toMatchObject({ unique_name: name, domain_suffix: suffix, build_sid: null });
    expect(await expectJson(await call(stack, 'GET', environmentsPath(SERVICE, again.sid, '/Variables')), 200)).toMatchObject({ variables: [] });
    expect((await createVariable(stack, SERVICE, again.sid, 'ONE', 'fresh')).key).toBe('ONE');
  });

  it('deleting a variable removes it and its key reservation; the key can be reused', async () => {
    const environment = await newEnvironment();
    const variable = await createVariable(stack, SERVICE, environment.sid, 'GONE', 'x');
    const before = (await scanAll(stack)).length;
    expect((await call(stack, 'DELETE', environmentsPath(SERVICE, environment.sid, `/Variables/${variable.sid}`))).status).toBe(204);
    expect((await scanAll(stack)).length).toBe(before - 2);
    expect(await itemsWith((item) => item.SK === `VARKEY#${environment.sid}#GONE` || item.SK === `VARIABLE#${environment.sid}#${variable.sid}`)).toEqual([]);
    await expectTwilioError(await call(stack, 'DELETE', environmentsPath(SERVICE, environment.sid, `/Variables/${variable.sid}`)), 404, 20404);
    expect((await createVariable(stack, SERVICE, environment.sid, 'GONE', 'back')).sid).not.toBe(variable.sid);
  });

  it('deleting a service removes its environments, variables, deployments and their builds', async () => {
    const service = await createService(stack, freshName('svc-envs'));
    const fn = await createDeployable(stack, 'Functions', service.sid, 'fn');
    const version = await uploadVersion(stack, 'Functions', service.sid, fn.sid, { Path: '/x', Visibility: 'public', Content: 'exports.handler = 1;' });
    const build = await completedBuild(stack, service.sid, { FunctionVersions: [version.sid] });
    const environment = await newEnvironment(service.sid);
    await createVariable(stack, service.sid, environment.sid, 'K', 'v');
    await deployBuild(stack, service.sid, environment.sid, build.sid);
    expect((await call(stack, 'DELETE', `/v1/Services/${service.sid}`)).status).toBe(204);
    expect(await itemsWith((item) => item.PK === `SERVICE#${service.sid}`)).toEqual([]);
    await expectTwilioError(await call(stack, 'GET', environmentsPath(service.sid, environment.sid)), 404, 20404);
  });
});

describe('variable values never appear in the logs', () => {
  it('creating, updating, reading, refusing and deleting variables gives none of their values to the logger (at any level) or to stdout, stderr or the console', async () => {
    // Imported now, not at the top: the handlers read their configuration on first import, once the stack has set it.
    const { logger } = await import('../../lambda/http/middleware');
    const environment = await newEnvironment();
    const values = [
      `first-secret-${randomBytes(8).toString('hex')}`,
      `second-secret-${randomBytes(8).toString('hex')}`,
      `third-secret-${randomBytes(8).toString('hex')}`,
    ];
    const control = `control-${randomBytes(8).toString('hex')}`;

    // Everything handed to the handlers' logger, whatever its level (ERROR in tests: most calls print nothing) …
    const captured: string[] = [];
    const levels = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;
    const loggerMethods = levels.map((level) => logger[level]);
    levels.forEach((level, index) => {
      logger[level] = ((...args: unknown[]) => {
        captured.push(inspect(args, { depth: 20, breakLength: Number.POSITIVE_INFINITY }));
        return (loggerMethods[index] as (...args: unknown[]) => void).apply(logger, args);
      }) as (typeof logger)[typeof level];
    });
    // … proof that it is the instance the handlers use: their middleware calls this once per request …
    const refresh = logger.refreshSampleRateCalculation;
    let invocations = 0;
    logger.refreshSampleRateCalculation = () => {
      invocations++;
      refresh.call(logger);
    };
    // … and everything written to stdout, stderr or the console.
    const streams = [process.stdout, process.stderr];
    const writes = streams.map((stream) => stream.write);
    for (const stream of streams) {
      const original = stream.write;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
    }
    const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
    const consoles = consoleMethods.map((method) => console[method]);
    consoleMethods.forEach((method, index) => {
      console[method] = (...args: unknown[]) => {
        captured.push(inspect(args, { depth: 20 }));
        (consoles[index] as (...args: unknown[]) => void)(...args);
      };
    });
    try {
      logger.debug(control);
      const base = environmentsPath(SERVICE, environment.sid, '/Variables');
      const variable = await createVariable(stack, SERVICE, environment.sid, 'SECRET', values[0]!);
      await expectJson(await call(stack, 'POST', `${base}/${variable.sid}`, { form: { Value: values[1]! } }), 200);
      await expectJson(await call(stack, 'POST', `${base}/${variable.sid}`, { form: { Key: 'RENAMED', Value: values[2]! } }), 200);
      await expectJson(await call(stack, 'GET', `${base}/${variable.sid}`), 200);
      await expectJson(await call(stack, 'GET', base), 200);
      // Refusals: a taken key, a value too long, a wrong token.
      const refusals = [
        await call(stack, 'POST', base, { form: { Key: 'RENAMED', Value: values[0]! } }),
        await call(stack, 'POST', base, { form: { Key: 'LONG', Value: `${values[1]!}${long(450)}` } }),
        await call(stack, 'POST', `${base}/${variable.sid}`, { form: { Value: values[0]! }, account: { sid: ACCOUNT.sid, auth_token: 'wrong' } }),
      ];
      for (const refusal of refusals) {
        const text = await refusal.text();
        for (const value of values) expect(text).not.toContain(value);
      }
      expect(refusals.map((refusal) => refusal.status)).toEqual([409, 400, 401]);
      expect((await call(stack, 'DELETE', `${base}/${variable.sid}`)).status).toBe(204);
      expect((await call(stack, 'DELETE', environmentsPath(SERVICE, environment.sid))).status).toBe(204);
    } finally {
      levels.forEach((level, index) => {
        logger[level] = loggerMethods[index] as never;
      });
      logger.refreshSampleRateCalculation = refresh;
      streams.forEach((stream, index) => {
        stream.write = writes[index]!;
      });
      consoleMethods.forEach((method, index) => {
        console[method] = consoles[index]!;
      });
    }
    const output = captured.join('\n');
    expect(output).toContain(control);
    expect(invocations).toBeGreaterThanOrEqual(10);
    for (const value of values) expect(output).not.toContain(value);
  });
});
