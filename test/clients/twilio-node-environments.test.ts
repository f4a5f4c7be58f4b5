import { randomUUID } from 'node:crypto';
import twilio from 'twilio';
import type { EnvironmentInstance } from 'twilio/lib/rest/serverless/v1/service/environment';
import type { VariableInstance } from 'twilio/lib/rest/serverless/v1/service/environment/variable';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, FUNCTION, FUNCTION_VERSIONS, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import { type Created, completedBuild } from '../support/resources';
import { startTestStack } from '../support/stack';
import { expectRestException, rejection } from '../support/twilio-node';

/**
 * twilio-node, the official Twilio helper library, unpatched apart from the base URL of its
 * Serverless domain (`client.serverless.baseUrl`), on Environments and their Variables,
 * Deployments and Logs. The builds it deploys are created over HTTP from the seeded function
 * versions and waited for (…/Status) until `completed`.
 */

let stack: LocalStack;
let client: twilio.Twilio;
beforeAll(async () => {
  stack = await startTestStack();
  client = twilio(ACCOUNT.sid, ACCOUNT.auth_token);
  client.serverless.baseUrl = stack.baseUrl;
});
afterAll(async () => {
  await stack?.stop();
});

const service = () => client.serverless.v1.services(SERVICE);
const uniqueName = (prefix = 'node'): string => `${prefix}-${randomUUID().slice(0, 18)}`;
const suffix = (): string => `s-${randomUUID().slice(0, 8)}`;
const environmentUrl = (sid: string) => `${stack.baseUrl}/v1/Services/${SERVICE}/Environments/${sid}`;

describe('twilio-node on Environments', () => {
  let domainBase: string;
  let staging: EnvironmentInstance;
  let production: EnvironmentInstance;

  beforeAll(async () => {
    domainBase = (await client.serverless.v1.services(SERVICE).fetch()).domainBase;
  });

  it('environments.create with a domainSuffix reads the Environment back: no build yet, its domain name, its links', async () => {
    const name = uniqueName('staging');
    const domainSuffix = suffix();
    staging = await service().environments.create({ uniqueName: name, domainSuffix });
    expect(staging.sid).toMatch(/^ZE[0-9a-f]{32}$/);
    const url = environmentUrl(staging.sid);
    expect(staging).toMatchObject({
      accountSid: ACCOUNT.sid,
      serviceSid: SERVICE,
      buildSid: null,
      uniqueName: name,
      domainSuffix,
      domainName: `${domainBase}-${domainSuffix}.localhost`,
      url,
      links: { variables: `${url}/Variables`, deployments: `${url}/Deployments`, logs: `${url}/Logs` },
    });
    expect(staging.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(staging.dateCreated.getTime())).toBe(false);
    expect(staging.dateUpdated.getTime()).toBe(staging.dateCreated.getTime());
  });

  it('environments.create without a domainSuffix: domainSuffix null, the bare domain base', async () => {
    production = await service().environments.create({ uniqueName: uniqueName('production') });
    expect(production).toMatchObject({ domainSuffix: null, buildSid: null, domainName: `${domainBase}.localhost` });
  });

  it('environments(sid).fetch() and environments.list() return them', async () => {
    expect((await service().environments(staging.sid).fetch()).toJSON()).toEqual(staging.toJSON());
    const listed = await service().environments.list();
    const sids = listed.map((environment) => environment.sid);
    expect(sids).toEqual(expect.arrayContaining([staging.sid, production.sid]));
    expect(new Set(sids).size).toBe(sids.length);
    // The library walks meta.next_page_url: the same environments, one per page.
    expect((await service().environments.list({ pageSize: 1 })).map((environment) => environment.sid)).toEqual(sids);
  });

  it('a duplicate uniqueName rejects with RestException 409', async () => {
    expectRestException(await rejection(service().environments.create({ uniqueName: staging.uniqueName, domainSuffix: suffix() })), 409, 20409);
    expectRestException(await rejection(service().environments.create({ uniqueName: uniqueName(), domainSuffix: staging.domainSuffix })), 409, 20409);
  });

  it('environments(sid).remove() resolves true; the environment is then gone', async () => {
    const doomed = await service().environments.create({ uniqueName: uniqueName('doomed'), domainSuffix: suffix() });
    expect(await service().environments(doomed.sid).remove()).toBe(true);
    expectRestException(await rejection(service().environments(doomed.sid).fetch()), 404, 20404);
    expectRestException(await rejection(service().environments(doomed.sid).variables.list()), 404, 20404);
    expectRestException(await rejection(service().environments(doomed.sid).remove()), 404, 20404);
    expect((await service().environments.list()).map((environment) => environment.sid)).not.toContain(doomed.sid);
  });
});

describe('twilio-node on Variables', () => {
  let environmentSid: string;
  let variable: VariableInstance;
  const variables = () => service().environments(environmentSid).variables;

  beforeAll(async () => {
    environmentSid = (await service().environments.create({ uniqueName: uniqueName('vars'), domainSuffix: suffix() })).sid;
  });

  it('variables.create / (sid).fetch', async () => {
    variable = await variables().create({ key: 'API_KEY', value: 'sk ✓ a=b&c' });
    expect(variable.sid).toMatch(/^ZV[0-9a-f]{32}$/);
    expect(variable).toMatchObject({
      accountSid: ACCOUNT.sid,
      serviceSid: SERVICE,
      environmentSid,
      key: 'API_KEY',
      value: 'sk ✓ a=b&c',
      url: `${environmentUrl(environmentSid)}/Variables/${variable.sid}`,
    });
    expect(variable.dateCreated).toBeInstanceOf(Date);
    expect((await variables()(variable.sid).fetch()).toJSON()).toEqual(variable.toJSON());
  });

  it('variables(sid).update() changes the value, then the key', async () => {
    const revalued = await variables()(variable.sid).update({ value: 'rotated' });
    expect(revalued).toMatchObject({ sid: variable.sid, key: 'API_KEY', value: 'rotated' });
    expect(revalued.dateCreated.getTime()).toBe(variable.dateCreated.getTime());
    const rekeyed = await variables()(variable.sid).update({ key: 'SECRET_KEY' });
    expect(rekeyed).toMatchObject({ sid: variable.sid, key: 'SECRET_KEY', value: 'rotated' });
    variable = rekeyed;
    expect((await variables()(variable.sid).fetch()).toJSON()).toEqual(variable.toJSON());
  });

  it('variables.list() returns every variable, walking pages of 2', async () => {
    const more: string[] = [];
    for (let i = 0; i < 4; i++) more.push((await variables().create({ key: `KEY_${i}`, value: `value ${i}` })).sid);
    const all = (await variables().list()).map((item) => item.sid);
    expect(all).toEqual([variable.sid, ...more]);
    expect((await variables().list({ pageSize: 2 })).map((item) => item.sid)).toEqual(all);
  });

  it('a duplicate key rejects with RestException 409, on create and on update', async () => {
    const created = await rejection(variables().create({ key: 'SECRET_KEY', value: 'again' }));
    expectRestException(created, 409, 20409);
    expect((created as Error).message).toContain('SECRET_KEY');
    const other = await variables().create({ key: 'OTHER', value: 'x' });
    expectRestException(await rejection(variables()(other.sid).update({ key: 'SECRET_KEY' })), 409, 20409);
    expect((await variables()(other.sid).fetch()).key).toBe('OTHER');
  });

  it('a value over 450 bytes rejects with RestException 400', async () => {
    expectRestException(await rejection(variables().create({ key: 'LONG', value: 'é'.repeat(226) })), 400, 20001);
  });

  it('variables(sid).remove() resolves true; the variable is then gone', async () => {
    expect(await variables()(variable.sid).remove()).toBe(true);
    expectRestException(await rejection(variables()(variable.sid).fetch()), 404, 20404);
    expect((await variables().list()).map((item) => item.sid)).not.toContain(variable.sid);
    // Its key is free again.
    expect((await variables().create({ key: 'SECRET_KEY', value: 'back' })).key).toBe('SECRET_KEY');
  });
});

describe('twilio-node on Deployments and Logs', () => {
  let environment: EnvironmentInstance;
  let builds: Created[];

  beforeAll(async () => {
    environment = await service().environments.create({ uniqueName: uniqueName('deploy'), domainSuffix: suffix() });
    builds = [
      await completedBuild(stack, SERVICE, { FunctionVersions: [FUNCTION_VERSIONS[0]!] }),
      await completedBuild(stack, SERVICE, { FunctionVersions: [FUNCTION_VERSIONS[1]!] }),
    ];
  });

  const deployments = () => service().environments(environment.sid).deployments;

  it('deployments.create({ buildSid }) / (sid).fetch; the environment then has the build', async () => {
    const deployment = await deployments().create({ buildSid: builds[0]!.sid });
    expect(deployment.sid).toMatch(/^ZD[0-9a-f]{32}$/);
    expect(deployment).toMatchObject({
      accountSid: ACCOUNT.sid,
      serviceSid: SERVICE,
      environmentSid: environment.sid,
      buildSid: builds[0]!.sid,
      url: `${environmentUrl(environment.sid)}/Deployments/${deployment.sid}`,
    });
    expect(deployment.dateCreated).toBeInstanceOf(Date);
    expect((await deployments()(deployment.sid).fetch()).toJSON()).toEqual(deployment.toJSON());
    expect((await service().environments(environment.sid).fetch()).buildSid).toBe(builds[0]!.sid);
  });

  it('deployments.create({ buildSid, isPlugin }) and deployments.list(), newest first', async () => {
    const second = await deployments().create({ buildSid: builds[1]!.sid, isPlugin: false });
    expect(second.buildSid).toBe(builds[1]!.sid);
    const listed = await deployments().list();
    expect(listed.map((deployment) => deployment.buildSid)).toEqual([builds[1]!.sid, builds[0]!.sid]);
    expect((await deployments().list({ pageSize: 1 })).map((deployment) => deployment.sid)).toEqual(listed.map((deployment) => deployment.sid));
    expect((await service().environments(environment.sid).fetch()).buildSid).toBe(builds[1]!.sid);
  });

  it('a build that does not exist, or of another service, rejects with RestException 400', async () => {
    expectRestException(await rejection(deployments().create({ buildSid: `ZB${'0'.repeat(32)}` })), 400, 20001);
    expectRestException(await rejection(deployments().create({})), 400, 20001);
  });

  it('logs.list() is empty, with or without filters', async () => {
    const logs = service().environments(environment.sid).logs;
    expect(await logs.list()).toEqual([]);
    expect(await logs.list({ functionSid: FUNCTION, startDate: new Date(Date.now() - 3_600_000), endDate: new Date(), pageSize: 20 })).toEqual([]);
    expectRestException(await rejection(logs(`NO${'1'.repeat(32)}`).fetch()), 404, 20404);
  });

  it('another account’s service is a 404 on every resource', async () => {
    const theirs = client.serverless.v1.services(OTHER_SERVICE);
    expectRestException(await rejection(theirs.environments.list()), 404, 20404);
    expectRestException(await rejection(theirs.environments.create({ uniqueName: uniqueName() })), 404, 20404);
    expectRestException(await rejection(theirs.environments(environment.sid).deployments.list()), 404, 20404);
  });
});
