import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ACCOUNT_SID, API_KEY_SID } from '../domain/sid';
import type { AccountItem, ApiKeyItem } from '../store/items';
import type { TableStore } from '../store/table-store';
import { authenticationRequired } from './errors';

/** Basic `AccountSid:AuthToken`. */
export interface TokenCredentials {
  accountSid: string;
  authToken: string;
}

/** Basic `ApiKeySid:ApiKeySecret`, not yet checked: the key names no account. */
export interface ApiKeyLogin {
  apiKeySid: string;
  apiKeySecret: string;
}

/** An API key whose secret `verifyApiKey` has checked: the caller acts as the key's account. */
export interface ApiKeyCredentials {
  accountSid: string;
  apiKeySid: string;
}

/** What a handler sees: an account and its token (checked by `authenticate`), or a verified API key. */
export type Credentials = TokenCredentials | ApiKeyCredentials;

/** Where API keys are read by SID, strongly consistent, so that a revoked key fails at once (the table store). */
export type ApiKeyStore = Pick<TableStore, 'getApiKey'>;

/**
 * Reads HTTP Basic `AccountSid:AuthToken` or, as Twilio allows, `ApiKeySid:ApiKeySecret`; throws
 * 401 when absent or malformed. Nothing is trusted until `authenticate` / `verifyApiKey` checked it.
 */
export function parseBasicAuth(authorization: string | undefined): TokenCredentials | ApiKeyLogin {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) throw authenticationRequired();
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  const username = decoded.slice(0, separator);
  const password = decoded.slice(separator + 1);
  if (separator < 0 || password.length === 0) throw authenticationRequired();
  if (API_KEY_SID.test(username)) return { apiKeySid: username, apiKeySecret: password };
  if (!ACCOUNT_SID.test(username)) throw authenticationRequired();
  return { accountSid: username, authToken: password };
}

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

/** A fresh salt and the hash of `authToken` under it, ready to store on the account item. */
export function newTokenHash(authToken: string): Pick<AccountItem, 'auth_token_salt' | 'auth_token_hash'> {
  const { salt, hash } = saltedHash(authToken);
  return { auth_token_salt: salt, auth_token_hash: hash };
}

/** A fresh salt and the hash of an API key's secret under it, ready to store on the key item. */
export function newApiKeySecretHash(secret: string): Pick<ApiKeyItem, 'secret_salt' | 'secret_hash'> {
  const { salt, hash } = saltedHash(secret);
  return { secret_salt: salt, secret_hash: hash };
}

const matches = (secret: string, salt: string, storedHash: string): boolean => {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = Buffer.from(hashSecret(secret, salt), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
};

/** The key's account as the caller, or 401 when there is no such key (never created, or revoked) or the secret is wrong. */
export function verifyApiKey(login: ApiKeyLogin, key: ApiKeyItem | undefined): ApiKeyCredentials {
  if (!key || key.sid !== login.apiKeySid || !matches(login.apiKeySecret, key.secret_salt, key.secret_hash)) throw authenticationRequired();
  return { accountSid: key.account_sid, apiKeySid: key.sid };
}

/**
 * Throws 401 unless the account exists and the credentials are its own: the token matches its
 * stored hash (compared in constant time), or a verified API key of this account.
 */
export function authenticate(credentials: Credentials, account: AccountItem | undefined): void {
  if (!account || account.sid !== credentials.accountSid) throw authenticationRequired();
  if ('apiKeySid' in credentials) return;
  if (!matches(credentials.authToken, account.auth_token_salt, account.auth_token_hash)) throw authenticationRequired();
}
