import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Account, ApiKey } from './model';

/**
 * The salted hash stored instead of an auth token or API key secret. Both are 128-bit random
 * secrets, not passwords, so a keyed SHA-256 is as strong as a slow KDF here and keeps auth off
 * the latency path.
 */
export function hashSecret(secret: string, salt: string): string {
  return createHmac('sha256', Buffer.from(salt, 'hex')).update(secret, 'utf8').digest('hex');
}

/** A new random secret (auth token or API key secret): 32 hex digits, as Twilio's auth tokens. */
export const newSecret = (): string => randomBytes(16).toString('hex');

const saltedHash = (secret: string) => {
  const salt = randomBytes(16).toString('hex');
  return { salt, hash: hashSecret(secret, salt) };
};

/** A fresh salt and the hash of `authToken` under it, ready to store on the account. */
export function newTokenHash(authToken: string): Pick<Account, 'auth_token_salt' | 'auth_token_hash'> {
  const { salt, hash } = saltedHash(authToken);
  return { auth_token_salt: salt, auth_token_hash: hash };
}

/** A fresh salt and the hash of an API key's secret under it, ready to store on the key. */
export function newApiKeySecretHash(secret: string): Pick<ApiKey, 'secret_salt' | 'secret_hash'> {
  const { salt, hash } = saltedHash(secret);
  return { secret_salt: salt, secret_hash: hash };
}

/** Whether `secret` is the one stored as `storedHash` under `salt`, compared in constant time. */
export function secretMatches(secret: string, salt: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = Buffer.from(hashSecret(secret, salt), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
