import { parseArgs } from 'node:util';
import { ACCOUNT_SID, API_KEY_SID, newSid } from '../../lambda/domain/sid';
import { newApiKeySecretHash, newSecret, newTokenHash } from '../../lambda/http/auth';
import type { AccountItem, ApiKeyItem } from '../../lambda/store/items';
import type { TableStore } from '../../lambda/store/table-store';
import { TABLE_OPTIONS_HELP, UsageError } from './table';

export const ACCOUNTS_USAGE = `Usage: npm run accounts -- <command> [--json] [--table <name> | --stack <name>]
Commands:
  create [--name <friendly name>]       a new account: its SID and auth token (shown once, stored hashed)
  list                                  every account (no secrets)
  rotate-token <AC…>                    a new auth token for the account (shown once); the old one stops working
  create-key <AC…> [--name <name>]      a new API key of the account: its SID and secret (shown once, stored hashed)
  list-keys <AC…>                       the account's API keys (no secrets)
  revoke-key <SK…>                      deletes the API key: requests with it get 401 at once
  --json prints the result as JSON, for scripts.
${TABLE_OPTIONS_HELP}
Exit code 0 on success, 1 on failure (no such account or key, AWS error), 2 for a usage error.`;

/** What the commands need of the table. */
export type AccountsTable = Pick<
  TableStore,
  'insertAccount' | 'getAccount' | 'listAccounts' | 'setAuthTokenHash' | 'insertApiKey' | 'listApiKeys' | 'deleteApiKey'
>;

/** A failure a person can act on (no such account or key): exit code 1 with the message. */
export class AccountsError extends Error {
  override name = 'AccountsError';
}

export interface AccountsCommand {
  command: 'create' | 'list' | 'rotate-token' | 'create-key' | 'list-keys' | 'revoke-key';
  /** The AC… or SK… the command takes. */
  sid?: string;
  name?: string;
  json: boolean;
  table?: string;
  stack?: string;
}

const TAKES: Record<AccountsCommand['command'], { pattern?: RegExp; what?: string; name?: boolean }> = {
  create: { name: true },
  list: {},
  'rotate-token': { pattern: ACCOUNT_SID, what: 'an account SID (AC + 32 hex digits)' },
  'create-key': { pattern: ACCOUNT_SID, what: 'an account SID (AC + 32 hex digits)', name: true },
  'list-keys': { pattern: ACCOUNT_SID, what: 'an account SID (AC + 32 hex digits)' },
  'revoke-key': { pattern: API_KEY_SID, what: 'an API key SID (SK + 32 hex digits)' },
};

/** Parses the command line; throws UsageError (exit 2) on anything it does not take. `undefined` for --help. */
export function parseAccountsArgs(argv: string[]): AccountsCommand | undefined {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${ACCOUNTS_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const [command, sid, ...extra] = positionals;
  if (!command) throw new UsageError(`No command.\n${ACCOUNTS_USAGE}`);
  if (!(command in TAKES)) throw new UsageError(`Unknown command "${command}".\n${ACCOUNTS_USAGE}`);
  const takes = TAKES[command as AccountsCommand['command']];
  if (takes.pattern) {
    if (!sid) throw new UsageError(`${command} takes ${takes.what}.\n${ACCOUNTS_USAGE}`);
    if (!takes.pattern.test(sid)) throw new UsageError(`${command} takes ${takes.what}, got "${sid}".\n${ACCOUNTS_USAGE}`);
  }
  const unexpected = takes.pattern ? extra : [sid, ...extra].filter((value) => value !== undefined);
  if (unexpected.length > 0) throw new UsageError(`Unexpected argument "${unexpected[0]}".\n${ACCOUNTS_USAGE}`);
  if (values.name !== undefined && !takes.name) throw new UsageError(`${command} takes no --name.\n${ACCOUNTS_USAGE}`);
  return {
    command: command as AccountsCommand['command'],
    ...(takes.pattern ? { sid } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
    json: values.json ?? false,
    ...(values.table ? { table: values.table } : {}),
    ...(values.stack ? { stack: values.stack } : {}),
  };
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      name: { type: 'string' },
      table: { type: 'string' },
      stack: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
}

const accountView = (account: AccountItem) => ({
  sid: account.sid,
  friendly_name: account.friendly_name ?? null,
  date_created: account.date_created ?? null,
});

const keyView = (key: ApiKeyItem) => ({ sid: key.sid, account_sid: key.account_sid, friendly_name: key.friendly_name, date_created: key.date_created });

/** What a command prints: the JSON of the result with --json, else lines for a person. */
export interface AccountsOutput {
  json: unknown;
  text: string;
}

const SHOWN_ONCE = 'Shown once: it is stored only as a salted hash.';

/** Runs one command against the table; throws AccountsError when there is no such account or key. */
export async function runAccountsCommand(table: AccountsTable, command: AccountsCommand, now: Date = new Date()): Promise<AccountsOutput> {
  switch (command.command) {
    case 'create': {
      const authToken = newSecret();
      const account: AccountItem = {
        sid: newSid('AC', now),
        ...newTokenHash(authToken),
        friendly_name: command.name ?? 'Account',
        date_created: now.toISOString(),
        date_updated: now.toISOString(),
      };
      await table.insertAccount(account);
      return {
        json: { ...accountView(account), auth_token: authToken },
        text: `Account SID: ${account.sid}\nAuth token:  ${authToken}\n${SHOWN_ONCE}`,
      };
    }
    case 'list': {
      const accounts = (await table.listAccounts()).map(accountView);
      return {
        json: accounts,
        text: accounts.length === 0 ? 'No accounts.' : accounts.map((a) => `${a.sid}  ${a.date_created ?? '(seeded)'}  ${a.friendly_name ?? ''}`).join('\n'),
      };
    }
    case 'rotate-token': {
      const sid = command.sid as string;
      const authToken = newSecret();
      if (!(await table.setAuthTokenHash(sid, newTokenHash(authToken), now))) throw new AccountsError(`No account ${sid}.`);
      return { json: { sid, auth_token: authToken }, text: `Account SID: ${sid}\nAuth token:  ${authToken}\n${SHOWN_ONCE} The old token no longer works.` };
    }
    case 'create-key': {
      const accountSid = command.sid as string;
      const secret = newSecret();
      const key: ApiKeyItem = {
        sid: newSid('SK', now),
        account_sid: accountSid,
        friendly_name: command.name ?? 'API key',
        ...newApiKeySecretHash(secret),
        date_created: now.toISOString(),
      };
      if ((await table.insertApiKey(key)) === 'account-missing') throw new AccountsError(`No account ${accountSid}.`);
      return { json: { ...keyView(key), secret }, text: `API key SID: ${key.sid}\nSecret:      ${secret}\nAccount SID: ${accountSid}\n${SHOWN_ONCE}` };
    }
    case 'list-keys': {
      const accountSid = command.sid as string;
      if (!(await table.getAccount(accountSid))) throw new AccountsError(`No account ${accountSid}.`);
      const keys = (await table.listApiKeys(accountSid)).map(keyView);
      return {
        json: keys,
        text: keys.length === 0 ? `No API keys of ${accountSid}.` : keys.map((k) => `${k.sid}  ${k.date_created}  ${k.friendly_name}`).join('\n'),
      };
    }
    case 'revoke-key': {
      const keySid = command.sid as string;
      const revoked = await table.deleteApiKey(keySid);
      if (!revoked) throw new AccountsError(`No API key ${keySid}.`);
      return { json: { ...keyView(revoked), revoked: true }, text: `Revoked ${keySid} (account ${revoked.account_sid}): requests with it now get 401.` };
    }
  }
}
