import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ASSET_VERSIONS, FUNCTION_VERSIONS, SERVICE, ACCOUNT } from '../support/fixtures';
import { buildItems, createBuild, startTestStack } from '../support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('POST /v1/Services/{ServiceSid}/Builds', () => {
  it('answers 201 with the Build and writes it', async () => {
    const response = await createBuild(stack, {
      FunctionVersions: FUNCTION_VERSIONS,
      AssetVersions: ASSET_VERSIONS[0]!,
      Dependencies: '[{"name":"twilio","version":"5.0.0"}]',
      Runtime: 'node20',
    });
    expect(response.status).toBe(201);
    const build = await response.json();
    expect(build).toMatchObject({
      account_sid: ACCOUNT.sid,
      service_sid: SERVICE,
      status: 'building',
      runtime: 'node20',
      dependencies: [{ name: 'twilio', version: '5.0.0' }],
    });
    expect(build.sid).toMatch(/^ZB[0-9a-f]{32}$/);
    expect(build.function_versions.map((version: { sid: string }) => version.sid)).toEqual(FUNCTION_VERSIONS);
    expect(build.url).toBe(`${stack.baseUrl}/v1/Services/${SERVICE}/Builds/${build.sid}`);
    expect((await buildItems(stack)).map((item) => item.sid)).toEqual([build.sid]);
  });
});
