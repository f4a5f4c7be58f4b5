import { isTransient } from './errors';

export interface RetryBudget {
  /** The most time the retries may take in all (ms). */
  budgetMs: number;
  /** Time left before the function times out (Lambda's `context.getRemainingTimeInMillis`). */
  remainingMs?: () => number;
  /** Kept free of the remaining time, so that the last answer (a 503) still gets out (ms). */
  reserveMs?: number;
  /** Backoff of the first retry (ms), doubled up to `maxDelayMs`, fully jittered. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation`, retrying transient failures (throttling, AWS 5xx, refused or timed-out
 * connections: `isTransient`) with jittered exponential backoff while the budget and the
 * function's remaining time allow; then the last error is thrown (a 503 with Retry-After).
 * Other errors are thrown at once.
 */
export async function withTransientRetries<T>(operation: () => Promise<T>, budget: RetryBudget): Promise<T> {
  const started = Date.now();
  const { reserveMs = 1_500, baseDelayMs = 100, maxDelayMs = 1_000, sleep = pause } = budget;
  const deadline = () => Math.min(started + budget.budgetMs, budget.remainingMs ? Date.now() + budget.remainingMs() - reserveMs : Number.POSITIVE_INFINITY);
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransient(error)) throw error;
      const delay = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      if (Date.now() + delay >= deadline()) throw error;
      await sleep(delay);
    }
  }
}
