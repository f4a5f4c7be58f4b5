/**
 * `npm run accounts -- <command> …`: creates accounts and API keys in a Builds table and lists,
 * rotates and revokes them (scripts/lib/accounts.ts). The table is found as `npm run seed` finds
 * it (scripts/lib/table.ts). Exit code 0 on success, 1 on failure, 2 for a usage error.
 */
import { AccountTable } from '../lambda/store/accounts';
import { Table } from '../lambda/store/table';
import { ACCOUNTS_USAGE, AccountsError, parseAccountsArgs, runAccountsCommand } from './lib/accounts';
import { DEFAULT_STACK, isMainModule, namedTable, openBuildsTable, runAdminCommand, runAdminScript, type ScriptOutput } from './lib/table';

async function main(argv: string[], output: ScriptOutput): Promise<void> {
  const command = parseAccountsArgs(argv);
  if (!command) {
    output.log(ACCOUNTS_USAGE);
    return;
  }
  const opened = await openBuildsTable(namedTable(command.table, ACCOUNTS_USAGE), command.stack ?? DEFAULT_STACK);
  try {
    const result = await runAccountsCommand(new AccountTable(new Table(opened.documentClient, opened.table)), command);
    output.log(command.json ? JSON.stringify(result.json, null, 2) : result.text);
  } finally {
    opened.close();
  }
}

const known = (error: Error) => error instanceof AccountsError;

/** The command in this process (tests): its exit code, with what it prints written to `output`. */
export const accountsCommand = (argv: string[], output: ScriptOutput = console): Promise<number> =>
  runAdminCommand('accounts', () => main(argv, output), known, output);

if (isMainModule(import.meta.url)) runAdminScript('accounts', () => main(process.argv.slice(2), console), known);
