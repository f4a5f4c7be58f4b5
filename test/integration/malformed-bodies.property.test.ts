import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth, FUNCTION_VERSIONS } from '../support/fixtures';
import { buildItems, buildsUrl, startTestStack } from '../support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxyz'), minLength: 0, maxLength: 34 });
/** Values that are never a valid version SID of the service (malformed or missing ones). */
const badSid = fc.oneof(
  hex.map((h) => `ZN${h}`),
  fc.string(),
  fc.constantFrom('ZN99999999999999999999999999999999', '', 'ZN', '%00', 'ZN'.padEnd(34, '\u00e9')),
);
const anyRuntime = fc.oneof(fc.constantFrom('node22', 'node99', '', 'NODE22', 'node 22'), fc.string());
const dependencies = fc.oneof(fc.string(), fc.json(), fc.constantFrom('"[', '[{"name":"x"}]', '[{"name":"A B","version":"1"}]', '"[]"x'));
const paramName = fc.oneof(fc.constantFrom('FunctionVersions', 'AssetVersions', 'Dependencies', 'Runtime'), fc.string({ maxLength: 20 }));

/** Bodies that are never a valid Create Build: each has at least one bad version SID and no good one. */
const malformedBody = fc
  .record({
    versions: fc.array(fc.tuple(fc.constantFrom('FunctionVersions', 'AssetVersions'), badSid), { minLength: 1, maxLength: 5 }),
    extra: fc.array(fc.tuple(paramName, fc.oneof(fc.string(), anyRuntime, dependencies)), { maxLength: 5 }),
    encoding: fc.constantFrom('urlencoded', 'raw'),
  })
  .map(({ versions, extra, encoding }) => {
    const pairs = [...versions, ...extra];
    return encoding === 'urlencoded' ? new URLSearchParams(pairs).toString() : pairs.map(([name, value]) => `${name}=${value}`).join('&'); // odd, unescaped encodings
  });

describe('Create Build with malformed bodies (property)', () => {
  it('never answers 5xx and never writes a build', async () => {
    const before = (await buildItems(stack)).length;
    await fc.assert(
      fc.asyncProperty(malformedBody, async (body) => {
        const response = await fetch(buildsUrl(stack), {
          method: 'POST',
          headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
        });
        const text = await response.text();
        expect(response.status, `${body} -> ${text}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${body} -> ${text}`).toBeLessThan(500);
        expect(Object.keys(JSON.parse(text)).sort()).toEqual(['code', 'message', 'more_info', 'status']);
      }),
      { numRuns: 300 },
    );
    expect((await buildItems(stack)).length).toBe(before);
  });

  it('is a property that can fail: a valid body does write a build', async () => {
    const before = (await buildItems(stack)).length;
    const response = await fetch(buildsUrl(stack), {
      method: 'POST',
      headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `FunctionVersions=${FUNCTION_VERSIONS[0]}`,
    });
    expect(response.status).toBe(201);
    expect((await buildItems(stack)).length).toBe(before + 1);
  });
});
