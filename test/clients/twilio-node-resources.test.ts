import { randomUUID } from 'node:crypto';
import twilio from 'twilio';
import type { ServiceInstance } from 'twilio/lib/rest/serverless/v1/service';
import type { AssetInstance } from 'twilio/lib/rest/serverless/v1/service/asset';
import type { FunctionInstance } from 'twilio/lib/rest/serverless/v1/service/function';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import { type Created, uploadVersion } from '../support/resources';
import { startTestStack } from '../support/stack';
import { expectRestException, rejection } from '../support/twilio-node';

/**
 * twilio-node, the official Twilio helper library, unpatched apart from the base URL of its
 * Serverless domain (`client.serverless.baseUrl`), on the Services, Functions, Assets and their
 * Versions. twilio-node has no upload call (Twilio's upload host takes multipart bodies the
 * library cannot send), so versions are uploaded with fetch and FormData, as the toolkit does.
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

const services = () => client.serverless.v1.services;
const uniqueName = (prefix = 'node'): string => `${prefix}-${randomUUID().slice(0, 18)}`;

const FUNCTION_SOURCE = "exports.handler = (context, event, callback) => callback(null, { hello: 'world ✓' });\n";

describe('twilio-node on Services', () => {
  let service: ServiceInstance;
  const name = uniqueName();

  it('services.create sends UniqueName, FriendlyName and the flags, and reads the Service back', async () => {
    service = await services().create({ uniqueName: name, friendlyName: 'Node service', includeCredentials: false, uiEditable: true });
    expect(service.sid).toMatch(/^ZS[0-9a-f]{32}$/);
    expect(service).toMatchObject({
      accountSid: ACCOUNT.sid,
      uniqueName: name,
      friendlyName: 'Node service',
      includeCredentials: false,
      uiEditable: true,
      url: `${stack.baseUrl}/v1/Services/${service.sid}`,
      links: {
        functions: `${stack.baseUrl}/v1/Services/${service.sid}/Functions`,
        assets: `${stack.baseUrl}/v1/Services/${service.sid}/Assets`,
        builds: `${stack.baseUrl}/v1/Services/${service.sid}/Builds`,
        environments: `${stack.baseUrl}/v1/Services/${service.sid}/Environments`,
      },
    });
    expect(service.domainBase).toEqual(expect.stringMatching(new RegExp(`^${name}`)));
    expect(service.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(service.dateCreated.getTime())).toBe(false);
    expect(service.dateUpdated.getTime()).toBe(service.dateCreated.getTime());
  });

  it('services.create without the flags gets Twilio’s defaults (includeCredentials true, uiEditable false)', async () => {
    const plain = await services().create({ uniqueName: uniqueName(), friendlyName: 'Plain' });
    expect(plain).toMatchObject({ includeCredentials: true, uiEditable: false });
  });

  it('services(sid).fetch() and services(uniqueName).fetch() return the same service', async () => {
    const bySid = await services()(service.sid).fetch();
    const byName = await services()(name).fetch();
    expect(bySid.toJSON()).toEqual(service.toJSON());
    expect(byName.toJSON()).toEqual(service.toJSON());
  });

  it('services(sid).update() changes the friendly name and flags, not the unique name', async () => {
    const updated = await services()(service.sid).update({ friendlyName: 'Renamed', includeCredentials: true, uiEditable: false });
    expect(updated).toMatchObject({
      sid: service.sid,
      friendlyName: 'Renamed',
      includeCredentials: true,
      uiEditable: false,
      uniqueName: name,
      domainBase: service.domainBase,
    });
    expect(updated.dateCreated.getTime()).toBe(service.dateCreated.getTime());
    expect(updated.dateUpdated.getTime()).toBeGreaterThanOrEqual(service.dateCreated.getTime());
    expect((await services()(name).fetch()).friendlyName).toBe('Renamed');
  });

  it('services.list() lists the account’s services, and pages with pageSize 1', async () => {
    const listed = (await services().list()).map((item) => item.sid);
    expect(listed).toContain(SERVICE);
    expect(listed).toContain(service.sid);
    expect(listed).not.toContain(OTHER_SERVICE);
    expect(new Set(listed).size).toBe(listed.length);
    // The library walks meta.next_page_url: same services, one per page.
    expect((await services().list({ pageSize: 1 })).map((item) => item.sid)).toEqual(listed);
    expect(client.httpClient?.lastRequest?.url).toContain('PageToken=');
  });

  it('a duplicate unique name rejects with RestException 409', async () => {
    const error = await rejection(services().create({ uniqueName: name, friendlyName: 'Again' }));
    expectRestException(error, 409, 20409);
    expect((error as Error).message).toContain(name);
  });

  it('services(sid).remove() resolves true; the service is then gone by SID and by unique name', async () => {
    const doomed = await services().create({ uniqueName: uniqueName(), friendlyName: 'Doomed' });
    expect(await services()(doomed.sid).remove()).toBe(true);
    expectRestException(await rejection(services()(doomed.sid).fetch()), 404, 20404);
    expectRestException(await rejection(services()(doomed.uniqueName).fetch()), 404, 20404);
    expectRestException(await rejection(services()(doomed.sid).remove()), 404, 20404);
    expect((await services().list()).map((item) => item.sid)).not.toContain(doomed.sid);
  });
});

describe('twilio-node on Functions and their Versions', () => {
  let serviceSid: string;
  let fn: FunctionInstance;
  const uploaded: Created[] = [];
  const functions = () => services()(serviceSid).functions;

  beforeAll(async () => {
    serviceSid = (await services().create({ uniqueName: uniqueName(), friendlyName: 'Functions' })).sid;
  });

  it('functions.create / (sid).fetch / (sid).update', async () => {
    fn = await functions().create({ friendlyName: 'hello' });
    expect(fn.sid).toMatch(/^ZH[0-9a-f]{32}$/);
    expect(fn).toMatchObject({
      accountSid: ACCOUNT.sid,
      serviceSid,
      friendlyName: 'hello',
      url: `${stack.baseUrl}/v1/Services/${serviceSid}/Functions/${fn.sid}`,
      links: { function_versions: `${stack.baseUrl}/v1/Services/${serviceSid}/Functions/${fn.sid}/Versions` },
    });
    expect((await functions()(fn.sid).fetch()).toJSON()).toEqual(fn.toJSON());
    const renamed = await functions()(fn.sid).update({ friendlyName: 'hello-renamed' });
    expect(renamed).toMatchObject({ sid: fn.sid, friendlyName: 'hello-renamed' });
    expect(renamed.dateCreated.getTime()).toBe(fn.dateCreated.getTime());
    fn = renamed;
  });

  it('functions.list() returns every function of the service, walking pages of 2', async () => {
    const more = [];
    for (let i = 0; i < 4; i++) more.push((await functions().create({ friendlyName: `extra-${i}` })).sid);
    const all = (await functions().list()).map((item) => item.sid);
    expect(all.sort()).toEqual([fn.sid, ...more].sort());
    expect((await functions().list({ pageSize: 2 })).map((item) => item.sid).sort()).toEqual(all.sort());
  });

  it('versions uploaded over HTTP are listed by functionVersions.list() and fetched by functionVersions(sid).fetch()', async () => {
    uploaded.push(await uploadVersion(stack, 'Functions', serviceSid, fn.sid, { Path: '/hello', Visibility: 'public', Content: FUNCTION_SOURCE }));
    uploaded.push(await uploadVersion(stack, 'Functions', serviceSid, fn.sid, { Path: '/hello', Visibility: 'protected', Content: '// second\n' }));

    const versions = await functions()(fn.sid).functionVersions.list();
    expect(versions.map((version) => version.sid).sort()).toEqual(uploaded.map((version) => version.sid).sort());

    const first = await functions()(fn.sid).functionVersions(uploaded[0]!.sid).fetch();
    const versionUrl = `${stack.baseUrl}/v1/Services/${serviceSid}/Functions/${fn.sid}/Versions/${uploaded[0]!.sid}`;
    expect(first).toMatchObject({
      sid: uploaded[0]!.sid,
      accountSid: ACCOUNT.sid,
      serviceSid,
      functionSid: fn.sid,
      path: '/hello',
      visibility: 'public',
      url: versionUrl,
      links: { function_version_content: `${versionUrl}/Content` },
    });
    expect(first.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(first.dateCreated.getTime())).toBe(false);
    expect((await functions()(fn.sid).functionVersions(uploaded[1]!.sid).fetch()).visibility).toBe('protected');
  });

  it('functionVersions(sid).functionVersionContent().fetch() returns the uploaded text', async () => {
    const content = await functions()(fn.sid).functionVersions(uploaded[0]!.sid).functionVersionContent().fetch();
    expect(content).toMatchObject({ sid: uploaded[0]!.sid, accountSid: ACCOUNT.sid, serviceSid, functionSid: fn.sid, content: FUNCTION_SOURCE });
    expect(content.url).toBe(`${stack.baseUrl}/v1/Services/${serviceSid}/Functions/${fn.sid}/Versions/${uploaded[0]!.sid}/Content`);
    const second = await functions()(fn.sid).functionVersions(uploaded[1]!.sid).functionVersionContent().fetch();
    expect(second.content).toBe('// second\n');
  });

  it('functions(sid).remove() resolves true; the function and its versions are then gone', async () => {
    expect(await functions()(fn.sid).remove()).toBe(true);
    expectRestException(await rejection(functions()(fn.sid).fetch()), 404, 20404);
    expectRestException(await rejection(functions()(fn.sid).functionVersions.list()), 404, 20404);
    expectRestException(await rejection(functions()(fn.sid).functionVersions(uploaded[0]!.sid).fetch()), 404, 20404);
    expectRestException(await rejection(functions()(fn.sid).functionVersions(uploaded[0]!.sid).functionVersionContent().fetch()), 404, 20404);
    expectRestException(await rejection(functions()(fn.sid).remove()), 404, 20404);
    expect((await functions().list()).map((item) => item.sid)).not.toContain(fn.sid);
  });
});

describe('twilio-node on Assets and their Versions', () => {
  let serviceSid: string;
  let asset: AssetInstance;
  let uploaded: Created;
  const assets = () => services()(serviceSid).assets;

  beforeAll(async () => {
    serviceSid = (await services().create({ uniqueName: uniqueName(), friendlyName: 'Assets' })).sid;
  });

  it('assets.create / (sid).fetch / (sid).update / list', async () => {
    asset = await assets().create({ friendlyName: 'logo' });
    expect(asset.sid).toMatch(/^ZH[0-9a-f]{32}$/);
    expect(asset).toMatchObject({
      accountSid: ACCOUNT.sid,
      serviceSid,
      friendlyName: 'logo',
      url: `${stack.baseUrl}/v1/Services/${serviceSid}/Assets/${asset.sid}`,
      links: { asset_versions: `${stack.baseUrl}/v1/Services/${serviceSid}/Assets/${asset.sid}/Versions` },
    });
    expect((await assets()(asset.sid).fetch()).toJSON()).toEqual(asset.toJSON());
    const renamed = await assets()(asset.sid).update({ friendlyName: 'logo-renamed' });
    expect(renamed).toMatchObject({ sid: asset.sid, friendlyName: 'logo-renamed' });
    asset = renamed;
    expect((await assets().list()).map((item) => item.toJSON())).toEqual([asset.toJSON()]);
  });

  it('assetVersions.list() and assetVersions(sid).fetch() return a version uploaded over HTTP', async () => {
    uploaded = await uploadVersion(stack, 'Assets', serviceSid, asset.sid, {
      Path: 'logo.png',
      Visibility: 'private',
      Content: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]),
      contentType: 'image/png',
      filename: 'logo.png',
    });
    const listed = await assets()(asset.sid).assetVersions.list();
    expect(listed.map((version) => version.sid)).toEqual([uploaded.sid]);
    const fetched = await assets()(asset.sid).assetVersions(uploaded.sid).fetch();
    expect(fetched).toMatchObject({
      sid: uploaded.sid,
      accountSid: ACCOUNT.sid,
      serviceSid,
      assetSid: asset.sid,
      path: '/logo.png',
      visibility: 'private',
      url: `${stack.baseUrl}/v1/Services/${serviceSid}/Assets/${asset.sid}/Versions/${uploaded.sid}`,
    });
    expect(fetched.toJSON()).toEqual(listed[0]!.toJSON());
  });

  it('assets(sid).remove() resolves true; the asset and its versions are then gone', async () => {
    expect(await assets()(asset.sid).remove()).toBe(true);
    expectRestException(await rejection(assets()(asset.sid).fetch()), 404, 20404);
    expectRestException(await rejection(assets()(asset.sid).assetVersions(uploaded.sid).fetch()), 404, 20404);
    expect(await assets().list()).toEqual([]);
  });

  it('removing the service removes what is under it', async () => {
    const kept = await assets().create({ friendlyName: 'kept' });
    expect(await services()(serviceSid).remove()).toBe(true);
    expectRestException(await rejection(assets()(kept.sid).fetch()), 404, 20404);
    expectRestException(await rejection(assets().list()), 404, 20404);
  });
});

describe('twilio-node errors on these resources', () => {
  it('wrong credentials reject with RestException 20003 / 401', async () => {
    const intruder = twilio(ACCOUNT.sid, 'ffffffffffffffffffffffffffffffff');
    intruder.serverless.baseUrl = stack.baseUrl;
    expectRestException(await rejection(intruder.serverless.v1.services.list()), 401, 20003);
    expectRestException(await rejection(intruder.serverless.v1.services.create({ uniqueName: uniqueName(), friendlyName: 'x' })), 401, 20003);
    expectRestException(await rejection(intruder.serverless.v1.services(SERVICE).fetch()), 401, 20003);
    expectRestException(await rejection(intruder.serverless.v1.services(SERVICE).functions.list()), 401, 20003);
  });

  it('another account’s service is a 404, by SID and by unique name', async () => {
    expectRestException(await rejection(services()(OTHER_SERVICE).fetch()), 404, 20404);
    expectRestException(await rejection(services()('other').fetch()), 404, 20404);
    expectRestException(await rejection(services()(OTHER_SERVICE).functions.list()), 404, 20404);
  });

  it('a missing FriendlyName rejects with RestException 20001 / 400', async () => {
    expectRestException(await rejection(services()(SERVICE).functions.create({ friendlyName: '' })), 400, 20001);
  });
});
