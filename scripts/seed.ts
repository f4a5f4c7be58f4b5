/**
 * `npm run seed -- --file <seed.json> [--table <name> | --stack <name>]`: validates a seed file and
 * writes it into a Builds table, idempotently (each item is upserted; auth tokens are stored only
 * as salted hashes). The table: `--table`, else `TABLE_NAME`, else the `TableName` output of the
 * deployed stack (`--stack`, default TwilioServerlessBuilds-prod). AWS credentials and region come
 * from the default chain (AWS_PROFILE, AWS_REGION, …); `DYNAMODB_ENDPOINT` points it at DynamoDB Local.
 *
 * Exit code 0 when the seed is loaded, 1 when it is not (malformed seed, missing table, AWS
 * error), 2 for a usage error.
 */
import { parseArgs } from 'node:util';
import { loadSeed, readSeedFile, SeedError, seedItems } from '../local/seed';
import {
  DEFAULT_STACK,
  isMainModule,
  namedTable,
  openBuildsTable,
  runAdminCommand,
  runAdminScript,
  type ScriptOutput,
  TABLE_OPTIONS_HELP,
  UsageError,
} from './lib/table';

const USAGE = `Usage: npm run seed -- --file <seed.json> [--table <name> | --stack <name>]
  Writes the seed (accounts, services, functions, assets and their versions; see local/demo-seed.json)
  into the Builds table. Loading the same seed again changes nothing but the auth tokens' salts;
  every token stays valid.
${TABLE_OPTIONS_HELP}`;

/** The arguments; undefined for --help. */
function parse(argv: string[]): { file: string; table: string | undefined; stack: string } | undefined {
  let values: { file?: string; table?: string; stack?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { file: { type: 'string' }, table: { type: 'string' }, stack: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return undefined;
  if (!values.file) throw new UsageError(`--file is required.\n${USAGE}`);
  return { file: values.file, table: namedTable(values.table, USAGE), stack: values.stack || DEFAULT_STACK };
}

async function main(argv: string[], output: ScriptOutput): Promise<void> {
  const args = parse(argv);
  if (!args) {
    output.log(USAGE);
    return;
  }
  const { file, table: named, stack } = args;
  // Validate the whole seed, references included, before writing anything.
  const seed = readSeedFile(file);
  const count = seedItems(seed).length;
  const { table, where, documentClient, close } = await openBuildsTable(named, stack);
  try {
    await loadSeed(documentClient, table, seed);
    output.log(`Loaded ${count} items from ${file} into table ${table} (${where}).`);
  } finally {
    close();
  }
}

const known = (error: Error) => error instanceof SeedError;

/** The command in this process (tests): its exit code, with what it prints written to `output`. */
export const seedCommand = (argv: string[], output: ScriptOutput = console): Promise<number> =>
  runAdminCommand('seed', () => main(argv, output), known, output);

if (isMainModule(import.meta.url)) runAdminScript('seed', () => main(process.argv.slice(2), console), known);
