import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Account, ApiKey } from '../domain/model';
import type { AccountStore, ApiKeyReader } from '../use-cases/ports';
import { keys, PARENT_INDEX, TABLE_KEY } from './keys';
import { isConditionFailure, type Table } from './table';

/** Accounts and their API keys (listed through `ByParent`, never by a Scan). */
export class AccountTable implements AccountStore, ApiKeyReader {
  constructor(private readonly table: Table) {}

  /**
   * An API key by its SID, read strongly consistent: a key revoked a moment ago is gone. The one
   * read an API key adds to a request, before the request's context is read with its account.
   */
  async getApiKey(apiKeySid: string): Promise<ApiKey | undefined> {
    const result = await this.table.client.send(new GetCommand({ TableName: this.table.name, Key: keys.apiKey(apiKeySid), ConsistentRead: true }));
    return result.Item as ApiKey | undefined;
  }

  /** Writes a new account (listed through `ByParent`); never overwrites one. */
  async insert(account: Account): Promise<void> {
    await this.table.client.send(
      new PutCommand(this.table.newItem(keys.account(account.sid), { ...account, [PARENT_INDEX.partitionKey]: keys.accountsParent() })),
    );
  }

  /** One account, read consistently. */
  async get(accountSid: string): Promise<Account | undefined> {
    const result = await this.table.client.send(new GetCommand({ TableName: this.table.name, Key: keys.account(accountSid), ConsistentRead: true }));
    return result.Item as Account | undefined;
  }

  list(): Promise<Account[]> {
    return this.table.queryParent<Account>(keys.accountsParent());
  }

  /** Replaces an account's auth token hash: the old token stops working at once for consistent readers. */
  async setAuthTokenHash(accountSid: string, hash: Pick<Account, 'auth_token_salt' | 'auth_token_hash'>, now: Date): Promise<boolean> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.account(accountSid),
          UpdateExpression: 'SET auth_token_salt = :salt, auth_token_hash = :hash, date_updated = :now',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
          ExpressionAttributeValues: { ':salt': hash.auth_token_salt, ':hash': hash.auth_token_hash, ':now': now.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Writes a new API key, listed under its account, in one transaction with a check that the account exists. */
  async insertApiKey(key: ApiKey): Promise<'inserted' | 'account-missing'> {
    const inserted = await this.table.insertUnder(keys.account(key.account_sid), keys.apiKey(key.sid), key, keys.apiKeysParent(key.account_sid));
    return inserted ? 'inserted' : 'account-missing';
  }

  listApiKeys(accountSid: string): Promise<ApiKey[]> {
    return this.table.queryParent<ApiKey>(keys.apiKeysParent(accountSid));
  }

  /** Deletes an API key: the next request with it gets 401 (`getApiKey` reads consistently). */
  async deleteApiKey(apiKeySid: string): Promise<ApiKey | undefined> {
    const result = await this.table.client.send(new DeleteCommand({ TableName: this.table.name, Key: keys.apiKey(apiKeySid), ReturnValues: 'ALL_OLD' }));
    return result.Attributes as ApiKey | undefined;
  }
}
