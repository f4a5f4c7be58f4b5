import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth, FUNCTION_VERSIONS } from '../support/fixtures';
import { headerProblems } from '../support/openapi';
import { buildsUrl, createBuild, startTestStack } from '../support/stack';

/**
 * The spec names five Access-Control-* headers on every 200/201. With the default
 * `CORS_ALLOWED_ORIGINS=*` the API cannot send Allow-Credentials (browsers reject it with `*`),
 * so this file runs the API with a configured origin, where all five are sent, and checks each
 * against the spec's header schema (Allow-Credentials is a boolean).
 */

const ORIGIN = 'https://console.example.com';
const ALL_CORS_HEADERS = [
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Methods',
  'Access-Control-Allow-Headers',
  'Access-Control-Allow-Credentials',
  'Access-Control-Expose-Headers',
];

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { CORS_ALLOWED_ORIGINS: ORIGIN } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('Access-Control-* headers with a configured origin', () => {
  it('every 200/201 of the Builds operations carries the five headers the spec names, each matching its schema', async () => {
    const created = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS }, { headers: { Origin: ORIGIN } });
    expect(created.status).toBe(201);
    expect(headerProblems('CreateBuild', 201, created.headers, ALL_CORS_HEADERS)).toEqual([]);
    expect(created.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(created.headers.get('access-control-allow-credentials')).toBe('true');
    const { sid } = (await created.json()) as { sid: string };

    const withOrigin = (url: string) => fetch(url, { headers: { Authorization: basicAuth(ACCOUNT), Origin: ORIGIN } });
    const reads: Array<[string, string]> = [
      ['ListBuild', buildsUrl(stack)],
      ['FetchBuild', `${buildsUrl(stack)}/${sid}`],
      ['FetchBuildStatus', `${buildsUrl(stack)}/${sid}/Status`],
    ];
    for (const [operationId, url] of reads) {
      const response = await withOrigin(url);
      expect(response.status).toBe(200);
      expect(headerProblems(operationId, 200, response.headers, ALL_CORS_HEADERS)).toEqual([]);
    }
  });

  it('an origin that is not configured gets no Allow-Origin', async () => {
    const response = await fetch(buildsUrl(stack), { headers: { Authorization: basicAuth(ACCOUNT), Origin: 'https://evil.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
