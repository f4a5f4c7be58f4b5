import twilio from 'twilio';
import type { BuildInstance } from 'twilio/lib/rest/serverless/v1/service/build';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, ASSET_VERSIONS, FUNCTION_VERSIONS, SERVICE } from '../support/fixtures';
import { startTestStack } from '../support/stack';
import { expectRestException, rejection } from '../support/twilio-node';

/**
 * twilio-node, the official Twilio helper library, unpatched: its only change is the base URL of
 * its Serverless domain, `client.serverless.baseUrl`. Everything else (form encoding, Basic auth,
 * paging by `meta.next_page_url`, error parsing into RestException) is the library's own.
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

const builds = () => client.serverless.v1.services(SERVICE).builds;
const DEPENDENCIES = [
  { name: 'twilio', version: '5.0.0' },
  { name: '@twilio/runtime-handler', version: '2.0.0' },
];

/** What this file uses of twilio-node's Page: its records and the page its next_page_url names. */
interface PageOfBuilds {
  instances: BuildInstance[];
  nextPage(): Promise<PageOfBuilds> | undefined;
}

/** SIDs of every build this file created, oldest first. */
const created: string[] = [];
let first: BuildInstance;

describe('twilio-node against the local stack', () => {
  it('builds.create sends repeated FunctionVersions/AssetVersions and Dependencies, and reads the Build back', async () => {
    first = await builds().create({
      functionVersions: FUNCTION_VERSIONS,
      assetVersions: ASSET_VERSIONS,
      dependencies: JSON.stringify(DEPENDENCIES),
      runtime: 'node22',
    });
    created.push(first.sid);
    expect(first.sid).toMatch(/^ZB[0-9a-f]{32}$/);
    expect(first).toMatchObject({
      accountSid: ACCOUNT.sid,
      serviceSid: SERVICE,
      status: 'building',
      runtime: 'node22',
      dependencies: DEPENDENCIES,
      url: `${stack.baseUrl}/v1/Services/${SERVICE}/Builds/${first.sid}`,
      links: { build_status: `${stack.baseUrl}/v1/Services/${SERVICE}/Builds/${first.sid}/Status` },
    });
    expect(first.functionVersions.map((version) => (version as { sid: string }).sid)).toEqual(FUNCTION_VERSIONS);
    expect(first.assetVersions.map((version) => (version as { sid: string }).sid)).toEqual(ASSET_VERSIONS);
    expect(first.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(first.dateCreated.getTime())).toBe(false);
    expect(first.dateUpdated.getTime()).toBe(first.dateCreated.getTime());
  });

  it('builds(sid).fetch() returns the same build', async () => {
    const fetched = await builds()(first.sid).fetch();
    expect(fetched.toJSON()).toMatchObject({ ...first.toJSON(), status: expect.stringMatching(/^(building|completed)$/) });
  });

  it('builds(sid).buildStatus().fetch(), polled, reaches completed; then fetch() shows it', async () => {
    const seen: string[] = [];
    const deadline = Date.now() + 10_000;
    for (;;) {
      const status = await builds()(first.sid).buildStatus().fetch();
      expect(status).toMatchObject({ sid: first.sid, serviceSid: SERVICE, accountSid: ACCOUNT.sid });
      seen.push(status.status);
      if (status.status === 'completed') break;
      expect(status.status).toBe('building');
      if (Date.now() > deadline) throw new Error(`still ${status.status} after 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(seen.at(-1)).toBe('completed');
    expect((await builds()(first.sid).fetch()).status).toBe('completed');
  });

  it('builds.list({pageSize: 2}) and builds.each({pageSize: 2}) walk every page: all builds, newest first, no duplicates', async () => {
    for (let i = 0; i < 5; i++) {
      const build = await builds().create({ functionVersions: [FUNCTION_VERSIONS[i % 2]!], runtime: 'node22' });
      created.push(build.sid);
    }
    const newestFirst = [...created].reverse();

    const listed = await builds().list({ pageSize: 2 });
    expect(listed.map((build) => build.sid)).toEqual(newestFirst);
    // The library followed meta.next_page_url: its last request carried our PageToken.
    expect(client.httpClient?.lastRequest?.url).toContain('PageToken=');

    const eached: string[] = [];
    await new Promise<void>((resolve, reject) => {
      builds().each({ pageSize: 2, done: (error?: Error) => (error ? reject(error) : resolve()) }, (build) => {
        eached.push(build.sid);
      });
    });
    expect(eached).toEqual(newestFirst);
    expect(new Set(eached).size).toBe(eached.length);

    // Page by page, as the library pages: 6 builds in exactly 3 pages of 2 (an exactly full last
    // page has no next page: no trailing empty page).
    const paged: string[][] = [];
    let page: PageOfBuilds = await builds().page({ pageSize: 2 });
    for (;;) {
      paged.push(page.instances.map((build) => build.sid));
      const next = await page.nextPage();
      if (!next) break;
      page = next;
      expect(paged.length).toBeLessThan(10);
    }
    expect(paged.map((sids) => sids.length)).toEqual([2, 2, 2]);
    expect(paged.flat()).toEqual(newestFirst);

    // A limit stops early, still newest first.
    expect((await builds().list({ pageSize: 2, limit: 3 })).map((build) => build.sid)).toEqual(newestFirst.slice(0, 3));
  });

  it('builds(sid).remove() resolves true; the build is then gone from fetch, status, remove and the list', async () => {
    const sid = created.pop()!;
    expect(await builds()(sid).remove()).toBe(true);

    expectRestException(await rejection(builds()(sid).fetch()), 404, 20404);
    expectRestException(await rejection(builds()(sid).remove()), 404, 20404);
    expectRestException(await rejection(builds()(sid).buildStatus().fetch()), 404, 20404);
    expect((await builds().list({ pageSize: 50 })).map((build) => build.sid)).not.toContain(sid);
  });

  it('a build that never existed: fetch, remove and status reject with RestException 20404 / 404', async () => {
    const missing = 'ZB0123456789abcdef0123456789abcdef';
    expectRestException(await rejection(builds()(missing).fetch()), 404, 20404);
    expectRestException(await rejection(builds()(missing).remove()), 404, 20404);
    expectRestException(await rejection(builds()(missing).buildStatus().fetch()), 404, 20404);
  });

  it('create with no versions rejects with RestException 20001 / 400', async () => {
    expectRestException(await rejection(builds().create({ dependencies: '[]' })), 400, 20001);
  });

  it('wrong credentials reject with RestException 20003 / 401 on every operation', async () => {
    const intruder = twilio(ACCOUNT.sid, 'ffffffffffffffffffffffffffffffff');
    intruder.serverless.baseUrl = stack.baseUrl;
    const theirBuilds = intruder.serverless.v1.services(SERVICE).builds;
    const sid = created[0]!;
    expectRestException(await rejection(theirBuilds.create({ functionVersions: FUNCTION_VERSIONS })), 401, 20003);
    expectRestException(await rejection(theirBuilds.list({ pageSize: 2 })), 401, 20003);
    expectRestException(await rejection(theirBuilds(sid).fetch()), 401, 20003);
    expectRestException(await rejection(theirBuilds(sid).buildStatus().fetch()), 401, 20003);
    expectRestException(await rejection(theirBuilds(sid).remove()), 401, 20003);
    // Nothing was created or removed.
    expect((await builds().list()).map((build) => build.sid)).toEqual([...created].reverse());
  });
});
