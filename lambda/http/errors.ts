import {
  AlreadyExists,
  ContentTooLarge,
  type DomainError,
  IdempotencyKeyReused,
  InvalidInput,
  RateLimited,
  ResourceInUse,
  ResourceNotFound,
  RetryShortly,
} from '../domain/errors';

/**
 * The Twilio error catalogue: every error this API answers with is built here, in Twilio's wire
 * shape `{code, message, more_info, status}`. No `type` or `title` keys: twilio-node would then
 * parse the body as a different error format.
 */
export class TwilioError extends Error {
  /** Middy convention: errors with `expose` may show their message to the client. */
  readonly expose: boolean;

  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'TwilioError';
    this.expose = status < 500;
  }

  /** The response body, exactly as Twilio shapes it. */
  toJSON(): { code: number; message: string; more_info: string; status: number } {
    return {
      code: this.code,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.code}`,
      status: this.status,
    };
  }
}

/** 400 / 20001: a request parameter is missing or invalid; the message names it. */
export const invalidParameter = (message: string): TwilioError => new TwilioError(400, 20001, message);

/** 401 / 20003: missing or wrong credentials. */
export const authenticationRequired = (): TwilioError => new TwilioError(401, 20003, 'Authenticate', { 'WWW-Authenticate': 'Basic realm="Twilio API"' });

/** 404 / 20404: never says whether the resource exists in another account. */
export const notFound = (path: string): TwilioError => new TwilioError(404, 20404, `The requested resource ${path} was not found`);

/** 405 / 20004. */
export const methodNotAllowed = (method: string, allowed: string[]): TwilioError =>
  new TwilioError(405, 20004, `Method not allowed: ${method}`, { Allow: allowed.join(', ') });

/** 409 / 20409: a unique name or key is taken, or the resource is in use (20409 follows Twilio's 20xxx pattern). */
export const conflict = (message: string): TwilioError => new TwilioError(409, 20409, message);

/** 413: the body is larger than the API accepts. */
export const payloadTooLarge = (limitBytes: number): TwilioError =>
  new TwilioError(413, 20413, `Request body too large: at most ${limitBytes} bytes are accepted`);

/** 415: the body is not of the media type the route takes. */
export const unsupportedMediaType = (expected = 'application/x-www-form-urlencoded'): TwilioError =>
  new TwilioError(415, 20415, `Unsupported Media Type: send ${expected}`);

/** 422: an Idempotency-Key reused with a different request. */
export const idempotencyKeyReused = (): TwilioError => new TwilioError(422, 20422, 'Idempotency-Key has already been used with a different request');

/** 429 / 20429: the account's builds-per-hour limit; retry after the window ends. */
export const tooManyRequests = (retryAfterSeconds: number, limit: number): TwilioError =>
  new TwilioError(429, 20429, `Too Many Requests: at most ${limit} builds per hour`, { 'Retry-After': String(retryAfterSeconds) });

/** 503 / 20503: a dependency is briefly unavailable (throttled, restarting, unreachable). */
export const serviceUnavailable = (retryAfterSeconds = 2): TwilioError =>
  new TwilioError(503, 20503, 'Service Unavailable: please retry shortly', { 'Retry-After': String(retryAfterSeconds) });

/** 500 / 20500: the body never carries internals, only the request id to quote. */
export const internalError = (requestId: string): TwilioError => new TwilioError(500, 20500, `An internal server error has occurred (request id ${requestId})`);

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
]);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN']);

/** True for failures a retry a moment later can fix: throttling, AWS 5xx, connection and timeout errors. */
export function isTransient(error: unknown): boolean {
  const candidate = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | null;
  if (!candidate) return false;
  return TRANSIENT_NAMES.has(candidate.name ?? '') || TRANSIENT_CODES.has(candidate.code ?? '') || (candidate.$metadata?.httpStatusCode ?? 0) >= 500;
}

/** What the edge knows of the request an error answers. */
export interface ErrorRequest {
  /** The request path, named by a 404. */
  path?: string;
  /** The media type the route takes, named by a 415. */
  mediaType?: string;
  /** The largest body or content the route takes, named by a 413. */
  limitBytes?: number;
}

/** The one table from domain errors to Twilio errors. */
const DOMAIN_ERRORS: ReadonlyArray<readonly [abstract new (...args: never[]) => DomainError, (error: never, request: ErrorRequest) => TwilioError]> = [
  [InvalidInput, (error: InvalidInput) => invalidParameter(error.message)],
  [ResourceNotFound, (error: ResourceNotFound, request) => notFound(request.path ?? error.message)],
  [AlreadyExists, (error: AlreadyExists) => conflict(error.message)],
  [ResourceInUse, (error: ResourceInUse) => conflict(error.message)],
  [ContentTooLarge, (error: ContentTooLarge) => payloadTooLarge(error.limitBytes)],
  [IdempotencyKeyReused, () => idempotencyKeyReused()],
  [RateLimited, (error: RateLimited) => tooManyRequests(error.retryAfterSeconds, error.limit)],
  [RetryShortly, () => serviceUnavailable()],
];

/**
 * Maps any error thrown in a handler chain to the TwilioError to answer with: our own errors as
 * they are, domain errors through the table above, Middy's HTTP errors (a body parser's 415 or
 * 413) to their catalogue entry, transient dependency failures to 503 with Retry-After, anything
 * else to a generic 500.
 */
export function toTwilioError(error: unknown, requestId: string, request: ErrorRequest = {}): TwilioError {
  if (error instanceof TwilioError) return error;
  for (const [type, toTwilio] of DOMAIN_ERRORS) if (error instanceof type) return toTwilio(error as never, request);
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (status === 415) return unsupportedMediaType(request.mediaType);
  if (status === 413 && request.limitBytes !== undefined) return payloadTooLarge(request.limitBytes);
  if (status === 422) return invalidParameter('Invalid multipart/form-data body');
  if (isTransient(error)) return serviceUnavailable();
  return internalError(requestId);
}
