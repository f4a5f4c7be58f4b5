import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { FUNCTION_VERSIONS } from '../support/fixtures';
import { buildItems, createBuild, startTestStack } from '../support/stack';

/**
 * Two creates racing with one Idempotency-Key: the request that loses the race (its write finds
 * the key taken) answers from the winner's record, and only if it is the same request.
 */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const form = { FunctionVersions: FUNCTION_VERSIONS[0]! };

describe('Idempotency-Key: concurrent creates with different bodies', () => {
  it('the request that loses the race with another body answers 422 / 20422: one 201, one 422, exactly one build', async () => {
    const { builds: buildStore } = await import('../../lambda/store');
    const insertBuild = buildStore.insert.bind(buildStore);
    // The race made certain: the first request to reach its write waits until the second has read
    // too (it reaches its write only after its read), writes, and only then lets the second write.
    let secondArrived: () => void = () => {};
    const bothRead = new Promise<void>((resolve) => {
      secondArrived = resolve;
    });
    let firstWrote: () => void = () => {};
    const firstDone = new Promise<void>((resolve) => {
      firstWrote = resolve;
    });
    let arrivals = 0;
    const spy = vi.spyOn(buildStore, 'insert').mockImplementation(async (build, idempotency) => {
      if (++arrivals === 1) {
        await bothRead;
        try {
          return await insertBuild(build, idempotency);
        } finally {
          firstWrote();
        }
      }
      secondArrived();
      await firstDone;
      return insertBuild(build, idempotency);
    });

    const before = (await buildItems(stack)).length;
    const headers = { 'Idempotency-Key': 'race-different-bodies' };
    const responses = await Promise.all([createBuild(stack, form, { headers }), createBuild(stack, { ...form, Runtime: 'node20' }, { headers })]);

    // Both requests reached the write: the loser read no record, its write found the key taken.
    expect(await Promise.all(spy.mock.results.map((result) => result.value))).toEqual(['inserted', 'idempotency-key-taken']);
    expect(responses.map((response) => response.status).sort()).toEqual([201, 422]);
    const [created, refused] = responses[0]!.status === 201 ? responses : [responses[1]!, responses[0]!];
    expect(created!.headers.get('idempotent-replayed')).toBeNull();
    expect(await refused!.json()).toEqual({
      code: 20422,
      message: 'Idempotency-Key has already been used with a different request',
      more_info: 'https://www.twilio.com/docs/errors/20422',
      status: 422,
    });
    const builds = await buildItems(stack);
    expect(builds).toHaveLength(before + 1);
    expect(builds.map((item) => item.sid)).toContain((await created!.json()).sid);
  });
});
