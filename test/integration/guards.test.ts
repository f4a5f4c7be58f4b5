import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hourOf } from '../../lambda/domain/rate-limit';
import { keys } from '../../lambda/store/keys';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth, FUNCTION_VERSIONS, OTHER_ACCOUNT, OTHER_FUNCTION_VERSION, OTHER_SERVICE } from '../support/fixtures';
import { buildItems, buildsUrl, createBuild, startTestStack } from '../support/stack';

const RATE_LIMIT = 8;
let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_BUILDS_PER_HOUR: String(RATE_LIMIT) } });
});
afterAll(async () => {
  await stack?.stop();
});

const countBuilds = async () => (await buildItems(stack)).length;
const form = { FunctionVersions: FUNCTION_VERSIONS[0]!, Dependencies: '[{"name":"twilio","version":"5.0.0"}]' };
const withKey = (key: string) => ({ headers: { 'Idempotency-Key': key } });

describe('Idempotency-Key on create', () => {
  it('returns the same build for the same key and body, creating nothing new', async () => {
    const first = await createBuild(stack, form, withKey('deploy-1'));
    expect(first.status).toBe(201);
    const built = await first.json();
    const before = await countBuilds();
    const again = await createBuild(stack, form, withKey('deploy-1'));
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await again.json()).sid).toBe(built.sid);
    expect(await countBuilds()).toBe(before);
  });

  it('treats the same body in another encoding and order as the same request', async () => {
    const first = await (await createBuild(stack, form, withKey('deploy-2'))).json();
    const response = await fetch(buildsUrl(stack), {
      method: 'POST',
      headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': 'deploy-2' },
      body: `Dependencies="${form.Dependencies}"&FunctionVersions=${form.FunctionVersions}`,
    });
    expect((await response.json()).sid).toBe(first.sid);
  });

  it('answers 422, Twilio-shaped, to the same key with a different body, and writes nothing', async () => {
    await createBuild(stack, form, withKey('deploy-3'));
    const before = await countBuilds();
    const response = await createBuild(stack, { ...form, Runtime: 'node20' }, withKey('deploy-3'));
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      code: 20422,
      message: 'Idempotency-Key has already been used with a different request',
      more_info: 'https://www.twilio.com/docs/errors/20422',
      status: 422,
    });
    expect(await countBuilds()).toBe(before);
  });

  it('creates one build from concurrent duplicates: the request that loses the race answers with the winner’s build', async () => {
    // Deterministic: both requests read (no key yet) before either writes; the first write lands,
    // then the second, whose transaction finds the key taken (the lost-race path).
    const { documentClient } = await import('../../lambda/store/client');
    const send = documentClient.send.bind(documentClient);
    let secondArrived: () => void = () => {};
    const bothRead = new Promise<void>((resolve) => {
      secondArrived = resolve;
    });
    let firstWritten: () => void = () => {};
    const firstDone = new Promise<void>((resolve) => {
      firstWritten = resolve;
    });
    let writes = 0;
    const spy = vi.spyOn(documentClient, 'send').mockImplementation((async (command: unknown) => {
      if (!(command instanceof TransactWriteCommand)) return send(command as never);
      if (writes++ === 0) {
        await bothRead;
        try {
          return await send(command as never);
        } finally {
          firstWritten();
        }
      }
      secondArrived();
      await firstDone;
      return send(command as never);
    }) as never);
    try {
      const before = await countBuilds();
      const responses = await Promise.all([createBuild(stack, form, withKey('deploy-4')), createBuild(stack, form, withKey('deploy-4'))]);
      expect(writes).toBe(2);
      expect(responses.map((response) => response.status)).toEqual([201, 201]);
      expect(responses.map((response) => response.headers.get('idempotent-replayed')).sort()).toEqual(['true', null].sort());
      const sids = new Set(await Promise.all(responses.map(async (response) => (await response.json()).sid)));
      expect(sids.size).toBe(1);
      expect(await countBuilds()).toBe(before + 1);
    } finally {
      spy.mockRestore();
    }
  });

  it('scopes keys to the account', async () => {
    const mine = await (await createBuild(stack, form, withKey('shared-key'))).json();
    const theirs = await createBuild(
      stack,
      { FunctionVersions: OTHER_FUNCTION_VERSION },
      { account: OTHER_ACCOUNT, serviceSid: OTHER_SERVICE, ...withKey('shared-key') },
    );
    expect(theirs.status).toBe(201);
    expect((await theirs.json()).sid).not.toBe(mine.sid);
  });

  it('answers 400 to a malformed key', async () => {
    const response = await createBuild(stack, form, withKey('x'.repeat(256)));
    expect(response.status).toBe(400);
    expect((await response.json()).message).toMatch(/Idempotency-Key/);
  });
});

describe('builds-per-hour limit', () => {
  it('answers 429 / 20429 with Retry-After past the limit, writes nothing, and spares other accounts', async () => {
    // Builds made by the tests above count too. The workflow counts each build just after its
    // 201 (creates racing that count may pass it); here each create waits until its build is
    // counted, so the limit is exact: RATE_LIMIT builds, then 429.
    const counted = async () => {
      const window = await stack.documentClient.send(new GetCommand({ TableName: stack.tableName, Key: keys.rateWindow(ACCOUNT.sid, hourOf(new Date())) }));
      return Number(window.Item?.build_count ?? 0);
    };
    const accountBuilds = async () => (await buildItems(stack)).filter((item) => item.account_sid === ACCOUNT.sid).length;
    let response: Response;
    for (let sent = 0; ; sent++) {
      const mine = await accountBuilds();
      await vi.waitFor(async () => expect(await counted()).toBe(mine), { timeout: 10_000, interval: 50 });
      response = await createBuild(stack, form);
      if (response.status !== 201 || sent > RATE_LIMIT + 3) break;
    }
    expect(response.status).toBe(429);
    expect(await accountBuilds()).toBe(RATE_LIMIT);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(await response.json()).toMatchObject({ code: 20429, status: 429, more_info: 'https://www.twilio.com/docs/errors/20429' });
    const before = await countBuilds();
    expect((await createBuild(stack, form)).status).toBe(429);
    expect(await countBuilds()).toBe(before);
    expect((await createBuild(stack, { FunctionVersions: OTHER_FUNCTION_VERSION }, { account: OTHER_ACCOUNT, serviceSid: OTHER_SERVICE })).status).toBe(201);
  });

  it('still replays an idempotent retry of a build made before the limit was reached', async () => {
    const replayed = await createBuild(stack, form, withKey('deploy-1'));
    expect(replayed.status).toBe(201);
  });
});
