import { pathToFileURL } from 'node:url';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LocalBackendError, requireBuildsTable, useLocalCredentials } from '../../local/backend';

/** The stack whose `TableName` output names the table when neither `--table` nor TABLE_NAME does. */
export const DEFAULT_STACK = 'TwilioServerlessBuilds-prod';

/** How the admin scripts (seed, accounts) find the Builds table, for their usage text. */
export const TABLE_OPTIONS_HELP = `The table: --table <name>, else TABLE_NAME, else the TableName output of the deployed stack
  --stack <name> (default ${DEFAULT_STACK}, i.e. TwilioServerlessBuilds-<stage>).
Environment: AWS credentials and region from the default chain (AWS_PROFILE, AWS_REGION, …);
  DYNAMODB_ENDPOINT to use DynamoDB Local instead (then any credentials do, and the table must be named).`;

/** A usage error of an admin script: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The table named on the command line or by TABLE_NAME; undefined when it is to come from the stack. */
export function namedTable(table: string | undefined, usage: string): string | undefined {
  const named = table || process.env.TABLE_NAME || undefined;
  if (!named && process.env.DYNAMODB_ENDPOINT) throw new UsageError(`No table: pass --table <name> or set TABLE_NAME (DynamoDB Local has no stack).\n${usage}`);
  return named;
}

/** The table of a deployed stack: its CloudFormation output `TableName`. */
export async function stackTable(stackName: string): Promise<string> {
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

export interface OpenTable {
  table: string;
  /** The DynamoDB asked, for messages: DYNAMODB_ENDPOINT or the region. */
  where: string;
  documentClient: DynamoDBDocumentClient;
  close(): void;
}

/**
 * Opens the Builds table (`named`, else the stack's), checked to exist with the Builds table's
 * keys: on DynamoDB Local when DYNAMODB_ENDPOINT is set, else in the default chain's region.
 */
export async function openBuildsTable(named: string | undefined, stack: string): Promise<OpenTable> {
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
    return { table, where, documentClient, close: () => dynamoDb.destroy() };
  } catch (error) {
    dynamoDb.destroy();
    throw error;
  }
}

/** Where an admin script writes: its result (stdout) and its messages (stderr). */
export interface ScriptOutput {
  log(text: string): void;
  error(text: string): void;
}

/**
 * Runs an admin script's `main` and resolves to its exit code, as every admin script answers: 0 on
 * success, 2 with the message for a usage error, 1 otherwise, naming the script. Errors the script
 * expects (`known`, plus a local backend's) are shown by their message alone; others also by
 * their name.
 */
export async function runAdminCommand(
  name: string,
  main: () => Promise<void>,
  known: (error: Error) => boolean,
  output: ScriptOutput = console,
): Promise<number> {
  try {
    await main();
    return 0;
  } catch (caught) {
    const error = caught as Error;
    if (error instanceof UsageError) {
      output.error(error.message);
      return 2;
    }
    const expected = known(error) || error instanceof LocalBackendError;
    output.error(`${name}: ${expected ? error.message : `${error.name}: ${error.message}`}`);
    return 1;
  }
}

/** True when the module of `moduleUrl` is the script node was started with (not imported by another). */
export const isMainModule = (moduleUrl: string): boolean => moduleUrl === pathToFileURL(process.argv[1] ?? '').href;

/** Runs an admin script's `main` as a command: `runAdminCommand`, then exits with its code. */
export function runAdminScript(name: string, main: () => Promise<void>, known: (error: Error) => boolean): void {
  void runAdminCommand(name, main, known).then((code) => process.exit(code));
}
