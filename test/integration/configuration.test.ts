import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth, FUNCTION_VERSIONS } from '../support/fixtures';
import { buildsUrl, createBuild, request, startTestStack } from '../support/stack';

const PUBLIC_BASE_URL = 'https://builds.example.com';
let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({
    env: { PUBLIC_BASE_URL: `${PUBLIC_BASE_URL}/`, CORS_ALLOWED_ORIGINS: 'https://console.example.com, https://*.tools.example.com' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('with a public base URL configured', () => {
  it('roots url, links and paging URLs at it', async () => {
    const build = await (await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! })).json();
    expect(build.url).toBe(`${PUBLIC_BASE_URL}/v1/Services/${build.service_sid}/Builds/${build.sid}`);
    expect(build.links.build_status).toBe(`${build.url}/Status`);
    const page = await (await request(`${buildsUrl(stack)}?PageSize=1`)).json();
    expect(page.meta.url.startsWith(`${PUBLIC_BASE_URL}/v1/`)).toBe(true);
  });

  it('cannot be changed by a forged Host or X-Forwarded-Host', async () => {
    const response = await fetch(buildsUrl(stack), {
      method: 'POST',
      headers: {
        Authorization: basicAuth(ACCOUNT),
        'Content-Type': 'application/x-www-form-urlencoded',
        Host: 'evil.example',
        'X-Forwarded-Host': 'evil.example',
        'X-Forwarded-Proto': 'http',
      },
      body: `FunctionVersions=${FUNCTION_VERSIONS[0]}`,
    });
    expect(response.status).toBe(201);
    expect(JSON.stringify(await response.json())).not.toContain('evil.example');
  });
});

describe('with allowed CORS origins configured', () => {
  it('allows a listed origin, with credentials', async () => {
    const response = await fetch(buildsUrl(stack), { headers: { Origin: 'https://console.example.com', Authorization: basicAuth(ACCOUNT) } });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('allows a wildcard-listed origin, on errors too', async () => {
    const response = await fetch(buildsUrl(stack), { headers: { Origin: 'https://ci.tools.example.com' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://ci.tools.example.com');
  });

  it('does not allow another origin', async () => {
    const response = await fetch(buildsUrl(stack), { headers: { Origin: 'https://evil.example', Authorization: basicAuth(ACCOUNT) } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
