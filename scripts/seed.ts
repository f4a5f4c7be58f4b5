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
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LocalBackendError, requireBuildsTable, useLocalCredentials } from '../local/backend';
import { loadSeed, readSeedFile, SeedError, seedItems } from '../local/seed';

const DEFAULT_STACK = 'TwilioServerlessBuilds-prod';

const USAGE = `Usage: npm run seed -- --file <seed.json> [--table <name> | --stack <name>]
  Writes the seed (accounts, services, functions, assets and their versions; see local/demo-seed.json)
  into the Builds table named by --table, else by TABLE_NAME, else by the TableName output of the
  deployed stack --stack (default ${DEFAULT_STACK}, i.e. TwilioServerlessBuilds-<stage>).
  Loading the same seed again changes nothing but the auth tokens' salts; every token stays valid.
Environment: AWS credentials and region from the default chain (AWS_PROFILE, AWS_REGION, …);
  DYNAMODB_ENDPOINT to write into DynamoDB Local instead (then any credentials do).`;

class UsageError extends Error {}

function parse(argv: string[]): { file: string; table: string | undefined; stack: string } {
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
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.file) throw new UsageError(`--file is required.\n${USAGE}`);
  const table = values.table || process.env.TABLE_NAME || undefined;
  if (!table && process.env.DYNAMODB_ENDPOINT) throw new UsageError(`No table: pass --table <name> or set TABLE_NAME (DynamoDB Local has no stack).\n${USAGE}`);
  return { file: values.file, table, stack: values.stack || DEFAULT_STACK };
}

/** The table of a deployed stack: its CloudFormation output `TableName`. */
async function stackTable(stackName: string): Promise<string> {
  const cloudFormation = new CloudFormationClient({});
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const table = Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === 'TableName')?.OutputValue;
    if (!table) throw new LocalBackendError(`Stack ${stackName} has no TableName output.`);
    return table;
  } catch (error) {
    if (error instanceof LocalBackendError) throw error;
    throw new LocalBackendError(
      `Cannot read stack ${stackName} (${(error as Error).message}): deploy it, pass --stack <name>, or name the table with --table.`,
    );
  } finally {
    cloudFormation.destroy();
  }
}

async function main(argv: string[]): Promise<void> {
  const { file, table: named, stack } = parse(argv);
  // Validate the whole seed, references included, before writing anything.
  const seed = readSeedFile(file);
  const count = seedItems(seed).length;
  const table = named ?? (await stackTable(stack));

  const endpoint = process.env.DYNAMODB_ENDPOINT || undefined;
  if (endpoint) useLocalCredentials();
  const dynamoDb = new DynamoDBClient(endpoint ? { endpoint } : {});
  try {
    let region: string;
    try {
      region = await dynamoDb.config.region();
    } catch {
      throw new LocalBackendError('No AWS region: set AWS_REGION (or a region in your AWS profile).');
    }
    const where = endpoint ? `DynamoDB at DYNAMODB_ENDPOINT ${endpoint}` : `DynamoDB in ${region}`;
    await requireBuildsTable(
      dynamoDb,
      table,
      where,
      endpoint
        ? 'Create the table first, or name an existing one with --table.'
        : 'Deploy the stack first, or name its table with --table (the CloudFormation output TableName).',
    );
    const documentClient = DynamoDBDocumentClient.from(dynamoDb, { marshallOptions: { removeUndefinedValues: true } });
    await loadSeed(documentClient, table, seed);
    console.log(`Loaded ${count} items from ${file} into table ${table} (${where}).`);
  } finally {
    dynamoDb.destroy();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: Error) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    const known = error instanceof SeedError || error instanceof LocalBackendError;
    console.error(`seed: ${known ? error.message : `${error.name}: ${error.message}`}`);
    process.exit(1);
  },
);
