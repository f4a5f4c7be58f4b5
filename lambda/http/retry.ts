import { isTransient } from './errors';

export interface RetryBudget {
  /** The most time the retries may take in all (ms). */
  budgetMs: number;
  /** Time left before the function times out (Lambda's `context.getRemainingTimeInMillis`). */
  remainingMs?: () => number;
  /** Kept free of the remaining time, so that the last answer (a 503) still gets out (ms). */
  reserveMs?: number;
  /**
   * The longest one attempt may take before it is aborted through its signal and counted as a
   * transient failure (ms): a read that hangs on a half-open connection must not eat the budget.
   */
  attemptTimeoutMs?: number;
  /** Backoff of the first retry (ms), doubled up to `maxDelayMs`, fully jittered. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The attempt, or its abort, whichever settles first: an operation that ignores the signal is
 * abandoned all the same (its late result or failure is dropped).
 */
function untilAborted<T>(attempt: Promise<T>, signal: AbortSignal): Promise<T> {
  attempt.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    attempt.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** What an attempt aborted by its own timeout fails with: transient (`isTransient`), so a 503 once the budget is spent. */
function attemptTimedOut(timeoutMs: number, cause: unknown): Error {
  return Object.assign(new Error(`The attempt took longer than ${timeoutMs} ms and was abandoned`, { cause }), { name: 'TimeoutError' });
}

/**
 * Runs `operation`, retrying transient failures (throttling, AWS 5xx, refused or timed-out
 * connections: `isTransient`) with jittered exponential backoff while the budget and the
 * function's remaining time allow; then the last error is thrown (a 503 with Retry-After).
 * Each attempt gets a signal that aborts it after `attemptTimeoutMs` or at the deadline,
 * whichever comes first; pass it to the SDK call (`send(command, { abortSignal })`) so that the
 * request itself is cancelled, not only abandoned.
 * Other errors are thrown at once.
 */
export async function withTransientRetries<T>(operation: (abortSignal: AbortSignal) => Promise<T>, budget: RetryBudget): Promise<T> {
  const started = Date.now();
  const { reserveMs = 1_500, attemptTimeoutMs = Number.POSITIVE_INFINITY, baseDelayMs = 100, maxDelayMs = 1_000, sleep = pause } = budget;
  const deadline = () => Math.min(started + budget.budgetMs, budget.remainingMs ? Date.now() + budget.remainingMs() - reserveMs : Number.POSITIVE_INFINITY);
  for (let attempt = 0; ; attempt++) {
    const timeoutMs = Math.max(1, Math.min(attemptTimeoutMs, deadline() - Date.now()));
    const abort = new AbortController();
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => abort.abort(), timeoutMs) : undefined;
    try {
      return await untilAborted(operation(abort.signal), abort.signal);
    } catch (caught) {
      const error = abort.signal.aborted ? attemptTimedOut(timeoutMs, caught) : caught;
      if (!isTransient(error)) throw error;
      const delay = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      if (Date.now() + delay >= deadline()) throw error;
      await sleep(delay);
    } finally {
      clearTimeout(timer);
    }
  }
}
