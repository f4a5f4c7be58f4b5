/**
 * `npm run accounts -- <command> …`: creates accounts and API keys in a Builds table and lists,
 * rotates and revokes them (scripts/lib/accounts.ts). The table is found as `npm run seed` finds
 * it (scripts/lib/table.ts). Exit code 0 on success, 1 on failure, 2 for a usage error.
 */
import { AccountTable } from '../lambda/store/accounts';
import { Table } from '../lambda/store/table';
import { ACCOUNTS_USAGE, AccountsError, parseAccountsArgs, runAccountsCommand } from './lib/accounts';
import { DEFAULT_STACK, namedTable, openBuildsTable, runAdminScript } from './lib/table';

async function main(argv: string[]): Promise<void> {
  const command = parseAccountsArgs(argv);
  if (!command) {
    console.log(ACCOUNTS_USAGE);
    return;
  }
  const opened = await openBuildsTable(namedTable(command.table, ACCOUNTS_USAGE), command.stack ?? DEFAULT_STACK);
  try {
    const output = await runAccountsCommand(new AccountTable(new Table(opened.documentClient, opened.table)), command);
    console.log(command.json ? JSON.stringify(output.json, null, 2) : output.text);
  } finally {
    opened.close();
  }
}

runAdminScript(
  'accounts',
  () => main(process.argv.slice(2)),
  (error) => error instanceof AccountsError,
);
