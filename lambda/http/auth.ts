import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ACCOUNT_SID } from '../domain/sid';
import type { AccountItem } from '../store/items';
import { authenticationRequired } from './errors';

export interface Credentials {
  accountSid: string;
  authToken: string;
}

/**
 * Reads HTTP Basic `AccountSid:AuthToken`; throws 401 when absent or malformed. The account is
 * only trusted once `authenticate` has checked the token against the stored hash.
 */
export function parseBasicAuth(authorization: string | undefined): Credentials {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) throw authenticationRequired();
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  const accountSid = decoded.slice(0, separator);
  const authToken = decoded.slice(separator + 1);
  if (separator < 0 || !ACCOUNT_SID.test(accountSid) || authToken.length === 0) throw authenticationRequired();
  return { accountSid, authToken };
}

/**
 * The salted hash stored instead of an auth token. Auth tokens are 128-bit random secrets, not
 * passwords, so a keyed SHA-256 is as strong as a slow KDF here and keeps auth off the latency path.
 */
export function hashAuthToken(authToken: string, salt: string): string {
  return createHmac('sha256', Buffer.from(salt, 'hex')).update(authToken, 'utf8').digest('hex');
}

/** A fresh salt and the hash of `authToken` under it, ready to store on the account item. */
export function newTokenHash(authToken: string): Pick<AccountItem, 'auth_token_salt' | 'auth_token_hash'> {
  const salt = randomBytes(16).toString('hex');
  return { auth_token_salt: salt, auth_token_hash: hashAuthToken(authToken, salt) };
}

/** Throws 401 unless the account exists and the token matches its stored hash (compared in constant time). */
export function authenticate(credentials: Credentials, account: AccountItem | undefined): void {
  if (!account) throw authenticationRequired();
  const expected = Buffer.from(account.auth_token_hash, 'hex');
  const actual = Buffer.from(hashAuthToken(credentials.authToken, account.auth_token_salt), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw authenticationRequired();
}
