import { secretMatches } from '../domain/credentials';
import type { Account, ApiKey } from '../domain/model';
import { ACCOUNT_SID, API_KEY_SID } from '../domain/sid';
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

/** The key's account as the caller, or 401 when there is no such key (never created, or revoked) or the secret is wrong. */
export function verifyApiKey(login: ApiKeyLogin, key: ApiKey | undefined): ApiKeyCredentials {
  if (!key || key.sid !== login.apiKeySid || !secretMatches(login.apiKeySecret, key.secret_salt, key.secret_hash)) throw authenticationRequired();
  return { accountSid: key.account_sid, apiKeySid: key.sid };
}

/**
 * Throws 401 unless the account exists and the credentials are its own: the token matches its
 * stored hash (compared in constant time), or a verified API key of this account.
 */
export function authenticate(credentials: Credentials, account: Account | undefined): void {
  if (!account || account.sid !== credentials.accountSid) throw authenticationRequired();
  if ('apiKeySid' in credentials) return;
  if (!secretMatches(credentials.authToken, account.auth_token_salt, account.auth_token_hash)) throw authenticationRequired();
}
