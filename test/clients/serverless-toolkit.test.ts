import { EventEmitter } from 'node:events';
import type { TwilioServerlessApiClient } from '@twilio-labs/serverless-api';
import { getBuild, listBuilds, triggerBuild, waitForSuccessfulBuild } from '@twilio-labs/serverless-api/dist/api/builds.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, ASSET_VERSIONS, FUNCTION_VERSIONS, SERVICE } from '../support/fixtures';
import { buildItems, createBuild, startTestStack } from '../support/stack';
import { localToolkitClient, type ToolkitTraffic } from '../support/toolkit';

/**
 * Twilio's serverless toolkit (`@twilio-labs/serverless-api`, the deploy library behind
 * twilio-run): its own `triggerBuild`, `waitForSuccessfulBuild`, `listBuilds` and `getBuild`,
 * unchanged. It has no base-URL option, so its requests are moved to the local stack by a got
 * hook on its own got instance (test/support/toolkit.ts); its `request()` (retries, concurrency
 * limit) and every API function stay as shipped.
 */

let stack: LocalStack;
let apiClient: TwilioServerlessApiClient;
/** What the toolkit sent (observed by got hooks, never changed). */
let traffic: ToolkitTraffic;

beforeAll(async () => {
  stack = await startTestStack();
  ({ client: apiClient, traffic } = localToolkitClient({ username: ACCOUNT.sid, password: ACCOUNT.auth_token }, stack.baseUrl));
});
afterAll(async () => {
  await stack?.stop();
});

const DEPENDENCIES = [
  { name: 'twilio', version: '5.0.0' },
  { name: '@twilio/runtime-handler', version: '2.0.0' },
];

describe('@twilio-labs/serverless-api against the local stack', () => {
  it('triggerBuild (Dependencies wrapped in quotes) creates a build that waitForSuccessfulBuild sees complete; the stored dependencies are the array sent', async () => {
    const build = await triggerBuild(
      { functionVersions: FUNCTION_VERSIONS, assetVersions: ASSET_VERSIONS, dependencies: DEPENDENCIES, runtime: 'node22' },
      SERVICE,
      apiClient,
    );
    expect(build.sid).toMatch(/^ZB[0-9a-f]{32}$/);
    expect(build).toMatchObject({ service_sid: SERVICE, account_sid: ACCOUNT.sid, status: 'building', dependencies: DEPENDENCIES });

    // What went over the wire: the toolkit's quoted form, `Dependencies="[...]"`.
    const sent = new URLSearchParams(traffic.bodies.at(-1));
    expect(sent.get('Dependencies')).toBe(`"${JSON.stringify(DEPENDENCIES)}"`);
    expect(sent.getAll('FunctionVersions')).toEqual(FUNCTION_VERSIONS);
    expect(sent.getAll('AssetVersions')).toEqual(ASSET_VERSIONS);

    const updates: Array<{ status: string; message: string }> = [];
    const emitter = new EventEmitter().on('status-update', (update) => updates.push(update));
    const started = Date.now();
    await waitForSuccessfulBuild(build.sid, SERVICE, apiClient, emitter, 15_000);
    // The 1 s build wait: at least one poll saw `building` before the one that saw `completed`.
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates[0]!.message).toContain('building');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const fetched = await getBuild(build.sid, SERVICE, apiClient);
    expect(fetched).toMatchObject({ sid: build.sid, status: 'completed', dependencies: DEPENDENCIES });
    const item = (await buildItems(stack)).find((candidate) => candidate.sid === build.sid);
    expect(item?.dependencies).toEqual(DEPENDENCIES);
    expect(item?.status).toBe('completed');
  });

  it('waitForSuccessfulBuild rejects with "failed" for a build on a retired runtime', async () => {
    const build = await triggerBuild({ functionVersions: FUNCTION_VERSIONS, runtime: 'node18' }, SERVICE, apiClient);
    await expect(waitForSuccessfulBuild(build.sid, SERVICE, apiClient, new EventEmitter(), 15_000)).rejects.toBe('failed');
  });

  it('listBuilds pages past the default 50 by following the absolute next_page_url, and finds every build once', async () => {
    // 2 builds so far; 49 more (plain HTTP, in parallel) make 51: a full page of 50 and one more.
    for (let batch = 0; batch < 7; batch++) {
      const responses = await Promise.all(Array.from({ length: 7 }, () => createBuild(stack, { AssetVersions: ASSET_VERSIONS[0]! })));
      expect(responses.map((response) => response.status)).toEqual(Array(7).fill(201));
    }
    const before = traffic.urls.length;
    const listed = await listBuilds(SERVICE, apiClient);
    const stored = (await buildItems(stack)).map((item) => item.sid as string);
    expect(stored).toHaveLength(51);
    expect(listed.map((build) => build.sid).sort()).toEqual([...stored].sort());
    // Two requests: the relative first page, then meta.next_page_url as given (absolute, with PageToken).
    const requests = traffic.urls.slice(before);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toContain('PageToken=');
    expect(requests.every((url) => url.startsWith(`${stack.baseUrl}/v1/Services/${SERVICE}/Builds`))).toBe(true);
    expect(traffic.problems, 'every answer so far valid against the spec').toEqual([]);
  });

  it('errors reach the toolkit as got HTTP errors with Twilio error bodies', async () => {
    const missing = 'ZB0123456789abcdef0123456789abcdef';
    const error = await getBuild(missing, SERVICE, apiClient).then(
      () => undefined,
      (rejection: { response?: { statusCode: number; body: unknown } }) => rejection,
    );
    expect(error?.response?.statusCode).toBe(404);
    expect(error?.response?.body).toMatchObject({ code: 20404, status: 404 });

    const { client: intruder } = localToolkitClient({ username: ACCOUNT.sid, password: 'ffffffffffffffffffffffffffffffff' }, stack.baseUrl);
    const denied = await triggerBuild({ functionVersions: FUNCTION_VERSIONS }, SERVICE, intruder).then(
      () => undefined,
      (rejection: { response?: { statusCode: number; body: unknown } }) => rejection,
    );
    expect(denied?.response?.statusCode).toBe(401);
    expect(denied?.response?.body).toMatchObject({ code: 20003, status: 401 });
  });
});
