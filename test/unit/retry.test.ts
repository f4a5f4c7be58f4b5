import { describe, expect, it } from 'vitest';
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
