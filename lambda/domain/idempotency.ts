import { createHash } from 'node:crypto';
import { InvalidInput } from './errors';
import type { Build, IdempotencyRecord } from './model';
import type { CreateBuildRequest } from './schema';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The request's Idempotency-Key: absent, or 1–255 visible ASCII characters (else InvalidInput). */
export function readIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) throw new InvalidInput('Invalid Idempotency-Key: use 1 to 255 visible ASCII characters');
  return header;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Keys are stored hashed: bounded in size whatever the client sends. */
export const hashIdempotencyKey = (key: string): string => sha256(key);

/**
 * What makes two creates "the same request": the service and the parsed body, so that the same
 * request sent with another encoding or parameter order still matches.
 */
export function requestFingerprint(serviceSid: string, body: CreateBuildRequest): string {
  const { FunctionVersions, AssetVersions, Dependencies, Runtime } = body;
  return sha256(JSON.stringify([serviceSid, FunctionVersions, AssetVersions, Dependencies, Runtime ?? null]));
}

/** A recorded key counts until it expires, even if DynamoDB's TTL has not removed it yet. */
export function isLive(record: IdempotencyRecord | undefined, now: Date): record is IdempotencyRecord {
  return record !== undefined && record.expires_at >= Math.floor(now.getTime() / 1000);
}

/** Twilio's error for a build on a retired runtime: the answer to the request itself, not a failure of this service. */
export const RETIRED_RUNTIME_ERROR = 82007;

/**
 * Whether the build an Idempotency-Key is bound to can no longer be the answer to a retry: gone
 * (deleted, expired) or failed by this service (its workflow's retries exhausted) rather than by
 * its request (a retired runtime fails the same request again). Such a key is rebound to a new build.
 */
export function isDeadBuild(build: Pick<Build, 'status' | 'error_code'> | undefined): boolean {
  return build === undefined || (build.status === 'failed' && build.error_code !== RETIRED_RUNTIME_ERROR);
}
