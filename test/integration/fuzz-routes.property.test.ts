import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambda/routes';
import type { LocalStack } from '../../local/stack';
import {
  ACCOUNT,
  ASSET,
  ASSET_VERSIONS,
  basicAuth,
  FUNCTION,
  FUNCTION_VERSIONS,
  OTHER_ACCOUNT,
  OTHER_FUNCTION_VERSION,
  OTHER_SERVICE,
  SERVICE,
} from '../support/fixtures';
import { startTestStack } from '../support/stack';

/** A few hundred cases in `npm test`; `npm run test:load` runs this file with FUZZ_RUNS=5000. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const BOUNDARY = 'fuzzboundary';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const segment = fc.oneof(
  fc.constantFrom(SERVICE, `ZS${'0'.repeat(32)}`, `ZB${'0'.repeat(32)}`, 'ZB', '', '..', '%2F', '%00', '%ZZ', 'Builds', 'Status'),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);
/** What a path parameter is filled with: the seed's SIDs (both accounts'), unknown SIDs of every prefix, unique names, garbage. */
const parameter = fc.oneof(
  fc.constantFrom(SERVICE, OTHER_SERVICE, FUNCTION, ASSET, ...FUNCTION_VERSIONS, ...ASSET_VERSIONS, OTHER_FUNCTION_VERSION, 'main', 'other', 'MAIN'),
  fc.constantFrom('ZS', 'ZH', 'ZN', 'ZB', 'ZE', 'ZV', 'ZD', 'NO').map((prefix) => `${prefix}${'0'.repeat(32)}`),
  segment,
);
/** Every route of ROUTES with its parameters filled in: the routes added later are fuzzed too. */
const routePath = fc.tuple(fc.constantFrom(...ROUTES), fc.array(parameter, { minLength: 4, maxLength: 4 })).map(([route, values]) => {
  let index = 0;
  return route.path.replace(/\{\w+\}/g, () => values[index++] ?? '');
});
/** Paths near the real routes (most cases) and anywhere else. */
const path = fc.oneof(
  { arbitrary: routePath, weight: 3 },
  fc.tuple(segment).map(([service]) => `/v1/Services/${service}/Builds`),
  fc.tuple(segment, segment).map(([service, build]) => `/v1/Services/${service}/Builds/${build}`),
  fc.tuple(segment, segment).map(([service, build]) => `/v1/Services/${service}/Builds/${build}/Status`),
  fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
);
const query = fc.array(
  fc.tuple(
    fc.oneof(fc.constantFrom('PageSize', 'Page', 'PageToken'), fc.string({ maxLength: 10 })),
    fc.oneof(fc.constantFrom('0', '1', '1000', '1001', '-1', 'abc', 'PA', `PAZB${'0'.repeat(32)}`, `PBZB${'f'.repeat(32)}`), fc.string({ maxLength: 20 })),
  ),
  { maxLength: 4 },
);
/** A multipart body of random parts (the upload routes' fields among them), sometimes cut short. */
const multipart = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom('Path', 'Visibility', 'Content', 'x'),
        fc.oneof(fc.constantFrom('/x', 'public', 'private', ''), fc.string({ maxLength: 40 })),
        fc.boolean(),
      ),
      { maxLength: 4 },
    ),
    fc.boolean(),
  )
  .map(([parts, close]) => {
    const body = parts
      .map(
        ([name, value, file]) =>
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="f"\r\nContent-Type: text/plain' : ''}\r\n\r\n${value}\r\n`,
      )
      .join('');
    return close ? `${body}--${BOUNDARY}--\r\n` : body;
  });
const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          'FunctionVersions',
          'AssetVersions',
          'Dependencies',
          'Runtime',
          'UniqueName',
          'FriendlyName',
          'IncludeCredentials',
          'UiEditable',
          'DomainSuffix',
          'Key',
          'Value',
          'BuildSid',
          'x',
        ),
        fc.oneof(
          fc.constantFrom(...FUNCTION_VERSIONS, 'node22', '[]', '"[]"', 'true', 'false', 'fuzz-name', `ZB${'0'.repeat(32)}`),
          fc.string({ maxLength: 40 }),
        ),
      ),
      { maxLength: 6 },
    )
    .map((pairs) => new URLSearchParams(pairs).toString()),
  multipart,
);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'),
  path,
  query,
  body,
  contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', `multipart/form-data; boundary=${BOUNDARY}`, undefined),
  auth: fc.constantFrom(basicAuth(ACCOUNT), basicAuth(OTHER_ACCOUNT), basicAuth({ sid: ACCOUNT.sid, auth_token: 'nope' }), 'Basic !!!', undefined),
});

describe('every route under fuzzed requests (property)', () => {
  it(`never answers 5xx (${RUNS} cases)`, async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, query, body, contentType, auth }) => {
        const url = `${stack.baseUrl}${path}${query.length ? `?${new URLSearchParams(query)}` : ''}`;
        const headers: Record<string, string> = {};
        if (contentType) headers['Content-Type'] = contentType;
        if (auth) headers.Authorization = auth;
        const response = await fetch(url, { method, headers, ...(body !== undefined && !['GET', 'HEAD'].includes(method) ? { body } : {}) });
        const text = await response.text();
        statuses.add(response.status);
        expect(response.status, `${method} ${url} ${body ?? ''} -> ${text}`).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    // The generator reaches past the front door: successes and several kinds of refusal.
    expect([...statuses].some((status) => status < 300)).toBe(true);
    expect(statuses.has(404) && statuses.has(401)).toBe(true);
  });
});
