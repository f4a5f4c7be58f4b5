import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { FUNCTION_VERSIONS, OTHER_ACCOUNT, OTHER_FUNCTION_VERSION, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import { buildsUrl, createBuild, request, startTestStack } from '../support/stack';

let stack: LocalStack;
const created: string[] = [];
beforeAll(async () => {
  stack = await startTestStack();
  for (let i = 0; i < 7; i++) {
    const response = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! });
    created.push((await response.json()).sid);
  }
  // A build of another account's service must never show up.
  await createBuild(stack, { FunctionVersions: OTHER_FUNCTION_VERSION }, { account: OTHER_ACCOUNT, serviceSid: OTHER_SERVICE });
});
afterAll(async () => {
  await stack?.stop();
});

interface Page {
  builds: { sid: string }[];
  meta: { first_page_url: string; key: string; next_page_url: string | null; previous_page_url: string | null; page: number; page_size: number; url: string };
}

async function page(url: string, account?: typeof OTHER_ACCOUNT): Promise<Page> {
  const response = await request(url, { account });
  expect(response.status).toBe(200);
  return response.json();
}

describe('GET /v1/Services/{ServiceSid}/Builds', () => {
  it('walks 7 builds with PageSize=3 through 3 pages by next_page_url: newest first, no duplicate, no gap', async () => {
    const first = await page(`${buildsUrl(stack)}?PageSize=3`);
    const pages = [first];
    while (pages.at(-1)!.meta.next_page_url) pages.push(await page(pages.at(-1)!.meta.next_page_url!));
    expect(pages.map((p) => p.builds.length)).toEqual([3, 3, 1]);
    expect(pages.flatMap((p) => p.builds.map((b) => b.sid))).toEqual([...created].reverse());
    expect(pages.map((p) => p.meta.page)).toEqual([0, 1, 2]);
    expect(first.meta).toMatchObject({
      key: 'builds',
      page: 0,
      page_size: 3,
      previous_page_url: null,
      first_page_url: `${buildsUrl(stack)}?PageSize=3&Page=0`,
      url: `${buildsUrl(stack)}?PageSize=3&Page=0`,
    });
  });

  it('walks back with previous_page_url to the same pages', async () => {
    const first = await page(`${buildsUrl(stack)}?PageSize=3`);
    const second = await page(first.meta.next_page_url!);
    const third = await page(second.meta.next_page_url!);
    const backToSecond = await page(third.meta.previous_page_url!);
    expect(backToSecond.builds).toEqual(second.builds);
    const backToFirst = await page(backToSecond.meta.previous_page_url!);
    expect(backToFirst.builds).toEqual(first.builds);
    expect(backToFirst.meta.previous_page_url).toBeNull();
  });

  it("lists only the service's own builds", async () => {
    const other = await page(buildsUrl(stack, OTHER_SERVICE), OTHER_ACCOUNT);
    expect(other.builds).toHaveLength(1);
    expect(created).not.toContain(other.builds[0]!.sid);
  });

  it('ends an exactly full last page with next_page_url null', async () => {
    const first = await page(`${buildsUrl(stack)}?PageSize=4`);
    const second = await page(first.meta.next_page_url!);
    expect(second.builds).toHaveLength(3);
    expect(second.meta.next_page_url).toBeNull();
    const exact = await page(`${buildsUrl(stack)}?PageSize=7`);
    expect(exact.builds).toHaveLength(7);
    expect(exact.meta.next_page_url).toBeNull();
  });

  it('defaults PageSize to 50', async () => {
    const all = await page(buildsUrl(stack));
    expect(all.meta.page_size).toBe(50);
    expect(all.builds.map((b) => b.sid)).toEqual([...created].reverse());
    expect(all.meta.next_page_url).toBeNull();
  });

  it.each(['PageSize=0', 'PageSize=1001', 'PageSize=abc', 'PageToken=nope', `PageToken=PA${'Z'.repeat(34)}`, 'Page=-1'])('answers 400 to %s', async (query) => {
    const response = await request(`${buildsUrl(stack)}?${query}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 20001, status: 400 });
  });

  it("answers 404 for another account's service", async () => {
    expect((await request(buildsUrl(stack, OTHER_SERVICE))).status).toBe(404);
    expect((await request(buildsUrl(stack, SERVICE), { account: OTHER_ACCOUNT })).status).toBe(404);
  });
});
