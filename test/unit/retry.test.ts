import { describe, expect, it } from 'vitest';
import { isTransient } from '../../lambda/http/errors';
import { withTransientRetries } from '../../lambda/http/retry';

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

describe('withTransientRetries (Build Status rides out a DynamoDB blip)', () => {
  it('retries transient failures until the operation succeeds', async () => {
    let calls = 0;
    const result = await withTransientRetries(
      async () => {
        if (++calls < 4) throw refused();
        return 'ok';
      },
      { budgetMs: 5_000, baseDelayMs: 1 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
  });

  it('gives up within its budget, with the last transient error', async () => {
    const started = Date.now();
    let calls = 0;
    await expect(
      withTransientRetries(
        async () => {
          calls++;
          throw refused();
        },
        { budgetMs: 300, baseDelayMs: 20, maxDelayMs: 40 },
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(Date.now() - started).toBeLessThan(400);
    expect(calls).toBeGreaterThan(2);
  });

  it("keeps the function's remaining time free for the answer", async () => {
    let calls = 0;
    await expect(
      withTransientRetries(
        async () => {
          calls++;
          throw refused();
        },
        { budgetMs: 60_000, remainingMs: () => 1_000, reserveMs: 1_500 },
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(calls).toBe(1);
  });

  it('abandons an attempt that hangs after attemptTimeoutMs, aborting its signal, and retries', async () => {
    const signals: AbortSignal[] = [];
    const result = await withTransientRetries(
      (signal) => {
        signals.push(signal);
        // The first read hangs (a half-open connection) and ignores its signal; the second answers.
        return signals.length === 1 ? new Promise<string>(() => undefined) : Promise.resolve('ok');
      },
      { budgetMs: 5_000, attemptTimeoutMs: 50, baseDelayMs: 1 },
    );
    expect(result).toBe('ok');
    expect(signals).toHaveLength(2);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]!.aborted).toBe(false);
  });

  it('ends a hung last attempt at the deadline with a transient error (a 503, not a function timeout)', async () => {
    const started = Date.now();
    const failure = await withTransientRetries(() => new Promise<never>(() => undefined), { budgetMs: 200, attemptTimeoutMs: 10_000 }).catch(
      (error: unknown) => error,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(isTransient(failure)).toBe(true);
    expect(failure).toMatchObject({ name: 'TimeoutError' });
  });

  it('does not retry what a retry cannot fix', async () => {
    let calls = 0;
    await expect(
      withTransientRetries(
        async () => {
          calls++;
          throw new Error('a bug');
        },
        { budgetMs: 5_000 },
      ),
    ).rejects.toThrow('a bug');
    expect(calls).toBe(1);
  });
});
