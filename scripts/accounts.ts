/**
 * `npm run accounts -- <command> …`: creates accounts and API keys in a Builds table and lists,
 * rotates and revokes them (scripts/lib/accounts.ts). The table is found as `npm run seed` finds
 * it (scripts/lib/table.ts). Exit code 0 on success, 1 on failure, 2 for a usage error.
 */
import { TableStore } from '../lambda/store/table-store';
import { LocalBackendError } from '../local/backend';
import { ACCOUNTS_USAGE, AccountsError, parseAccountsArgs, runAccountsCommand } from './lib/accounts';
import { DEFAULT_STACK, namedTable, openBuildsTable, UsageError } from './lib/table';

async function main(argv: string[]): Promise<void> {
  const command = parseAccountsArgs(argv);
  if (!command) {
    console.log(ACCOUNTS_USAGE);
    return;
  }
  const opened = await openBuildsTable(namedTable(command.table, ACCOUNTS_USAGE), command.stack ?? DEFAULT_STACK);
  try {
    const output = await runAccountsCommand(new TableStore(opened.documentClient, opened.table), command);
    console.log(command.json ? JSON.stringify(output.json, null, 2) : output.text);
  } finally {
    opened.close();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: Error) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    const known = error instanceof AccountsError || error instanceof LocalBackendError;
    console.error(`accounts: ${known ? error.message : `${error.name}: ${error.message}`}`);
    process.exit(1);
  },
);
