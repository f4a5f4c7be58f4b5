/**
 * The domain's errors: what went wrong in the API's own terms. The HTTP edge maps each class to
 * a Twilio error in one table (lambda/http/errors.ts); nothing here knows about HTTP.
 */
export abstract class DomainError extends Error {
  override name = 'DomainError';
}

/** A request parameter is missing or invalid; the message names it. */
export class InvalidInput extends DomainError {
  override name = 'InvalidInput';
}

/** The resource does not exist (or belongs to another account, which is never revealed). */
export class ResourceNotFound extends DomainError {
  override name = 'ResourceNotFound';
}

/** A unique name or key is already taken; the message names it. */
export class AlreadyExists extends DomainError {
  override name = 'AlreadyExists';
}

/** The resource cannot be changed or deleted in its current state; the message says why. */
export class ResourceInUse extends DomainError {
  override name = 'ResourceInUse';
}

/** Uploaded content is larger than the deployment accepts. */
export class ContentTooLarge extends DomainError {
  override name = 'ContentTooLarge';
  constructor(readonly limitBytes: number) {
    super(`Content too large: at most ${limitBytes} bytes are accepted`);
  }
}

/** An Idempotency-Key was reused with a different request. */
export class IdempotencyKeyReused extends DomainError {
  override name = 'IdempotencyKeyReused';
  constructor() {
    super('Idempotency-Key has already been used with a different request');
  }
}

/** The account's builds-per-hour limit is reached. */
export class RateLimited extends DomainError {
  override name = 'RateLimited';
  constructor(
    readonly retryAfterSeconds: number,
    readonly limit: number,
  ) {
    super(`Too Many Requests: at most ${limit} builds per hour`);
  }
}

/** A concurrent request left nothing this one can answer with yet: the same request, retried shortly, succeeds. */
export class RetryShortly extends DomainError {
  override name = 'RetryShortly';
}
