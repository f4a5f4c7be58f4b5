import { newApiKeySecretHash, newSecret, newTokenHash } from '../domain/credentials';
import { ResourceNotFound } from '../domain/errors';
import type { Account, ApiKey } from '../domain/model';
import { newSid } from '../domain/sid';
import type { AccountStore } from './ports';

/** A new account and its auth token: the token exists only in this answer (the store keeps its hash). */
export async function createAccount(accounts: AccountStore, friendlyName: string, now: Date): Promise<{ account: Account; authToken: string }> {
  const authToken = newSecret();
  const account: Account = {
    sid: newSid('AC', now),
    ...newTokenHash(authToken),
    friendly_name: friendlyName,
    date_created: now.toISOString(),
    date_updated: now.toISOString(),
  };
  await accounts.insert(account);
  return { account, authToken };
}

/** A new auth token for an account (the old one stops working at once); ResourceNotFound when there is no such account. */
export async function rotateAuthToken(accounts: AccountStore, accountSid: string, now: Date): Promise<string> {
  const authToken = newSecret();
  if (!(await accounts.setAuthTokenHash(accountSid, newTokenHash(authToken), now))) throw new ResourceNotFound(accountSid);
  return authToken;
}

/** A new API key of an account and its secret (shown once); ResourceNotFound when there is no such account. */
export async function createApiKey(accounts: AccountStore, accountSid: string, friendlyName: string, now: Date): Promise<{ key: ApiKey; secret: string }> {
  const secret = newSecret();
  const key: ApiKey = {
    sid: newSid('SK', now),
    account_sid: accountSid,
    friendly_name: friendlyName,
    ...newApiKeySecretHash(secret),
    date_created: now.toISOString(),
  };
  if ((await accounts.insertApiKey(key)) === 'account-missing') throw new ResourceNotFound(accountSid);
  return { key, secret };
}

/** Deletes an API key: requests with it get 401 at once. The revoked key; ResourceNotFound when there is none. */
export async function revokeApiKey(accounts: AccountStore, apiKeySid: string): Promise<ApiKey> {
  const revoked = await accounts.deleteApiKey(apiKeySid);
  if (!revoked) throw new ResourceNotFound(apiKeySid);
  return revoked;
}
