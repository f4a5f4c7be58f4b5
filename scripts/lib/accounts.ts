import { parseArgs } from 'node:util';
import { ResourceNotFound } from '../../lambda/domain/errors';
import type { Account, ApiKey } from '../../lambda/domain/model';
import { ACCOUNT_SID, API_KEY_SID } from '../../lambda/domain/sid';
import { createAccount, createApiKey, revokeApiKey, rotateAuthToken } from '../../lambda/use-cases/accounts';
import type { AccountStore } from '../../lambda/use-cases/ports';
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

const accountView = (account: Account) => ({
  sid: account.sid,
  friendly_name: account.friendly_name ?? null,
  date_created: account.date_created ?? null,
});

const keyView = (key: ApiKey) => ({ sid: key.sid, account_sid: key.account_sid, friendly_name: key.friendly_name, date_created: key.date_created });

/** What a command prints: the JSON of the result with --json, else lines for a person. */
export interface AccountsOutput {
  json: unknown;
  text: string;
}

const SHOWN_ONCE = 'Shown once: it is stored only as a salted hash.';

/** Runs one command against the table; throws AccountsError when there is no such account or key. */
export async function runAccountsCommand(accounts: AccountStore, command: AccountsCommand, now: Date = new Date()): Promise<AccountsOutput> {
  try {
    return await run(accounts, command, now);
  } catch (error) {
    if (error instanceof ResourceNotFound) throw new AccountsError(`No ${command.command === 'revoke-key' ? 'API key' : 'account'} ${error.message}.`);
    throw error;
  }
}

async function run(accounts: AccountStore, command: AccountsCommand, now: Date): Promise<AccountsOutput> {
  switch (command.command) {
    case 'create': {
      const { account, authToken } = await createAccount(accounts, command.name ?? 'Account', now);
      return {
        json: { ...accountView(account), auth_token: authToken },
        text: `Account SID: ${account.sid}\nAuth token:  ${authToken}\n${SHOWN_ONCE}`,
      };
    }
    case 'list': {
      const list = (await accounts.list()).map(accountView);
      return {
        json: list,
        text: list.length === 0 ? 'No accounts.' : list.map((a) => `${a.sid}  ${a.date_created ?? '(seeded)'}  ${a.friendly_name ?? ''}`).join('\n'),
      };
    }
    case 'rotate-token': {
      const sid = command.sid as string;
      const authToken = await rotateAuthToken(accounts, sid, now);
      return { json: { sid, auth_token: authToken }, text: `Account SID: ${sid}\nAuth token:  ${authToken}\n${SHOWN_ONCE} The old token no longer works.` };
    }
    case 'create-key': {
      const accountSid = command.sid as string;
      const { key, secret } = await createApiKey(accounts, accountSid, command.name ?? 'API key', now);
      return { json: { ...keyView(key), secret }, text: `API key SID: ${key.sid}\nSecret:      ${secret}\nAccount SID: ${accountSid}\n${SHOWN_ONCE}` };
    }
    case 'list-keys': {
      const accountSid = command.sid as string;
      if (!(await accounts.get(accountSid))) throw new ResourceNotFound(accountSid);
      const keys = (await accounts.listApiKeys(accountSid)).map(keyView);
      return {
        json: keys,
        text: keys.length === 0 ? `No API keys of ${accountSid}.` : keys.map((k) => `${k.sid}  ${k.date_created}  ${k.friendly_name}`).join('\n'),
      };
    }
    case 'revoke-key': {
      const revoked = await revokeApiKey(accounts, command.sid as string);
      return { json: { ...keyView(revoked), revoked: true }, text: `Revoked ${revoked.sid} (account ${revoked.account_sid}): requests with it now get 401.` };
    }
  }
}
