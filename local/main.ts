import { fileURLToPath } from 'node:url';
import { readSeedFile } from './seed';
import { startLocalStack } from './stack';

/** `npm start`: the local stack on http://127.0.0.1:$PORT with DynamoDB Local in memory. */
const DEFAULT_SEED = fileURLToPath(new URL('./demo-seed.json', import.meta.url));
/** Where the local event bus appends build events (gitignored): `tail -f .local/events.jsonl`. */
const DEFAULT_EVENTS_FILE = '.local/events.jsonl';

async function main(): Promise<void> {
  const seedFile = process.env.SEED_FILE ?? DEFAULT_SEED;
  const seed = readSeedFile(seedFile);
  const port = Number(process.env.PORT ?? 3000);
  const buildWaitSeconds = Number(process.env.BUILD_WAIT_SECONDS ?? 2);
  const stack = await startLocalStack({
    port,
    host: process.env.HOST ?? '127.0.0.1',
    seed,
    buildWaitSeconds,
    dynamoDbPath: process.env.DYNAMODB_PATH,
    s3Path: process.env.S3_PATH,
    eventsFile: process.env.EVENTS_FILE ?? DEFAULT_EVENTS_FILE,
  });

  const account = seed.accounts[0];
  const service = seed.services.find((candidate) => candidate.account_sid === account?.sid);
  const functionVersion = seed.function_versions[0]?.sid;
  console.log(`
Twilio Serverless Builds API (local) listening on ${stack.baseUrl}
  DynamoDB Local: ${stack.dynamoDbEndpoint} (table ${stack.tableName})   seed: ${seedFile}
  Step Functions: ${stack.stepFunctionsEndpoint} (${stack.stateMachineArn})   build wait: ${buildWaitSeconds} s
  S3 (s3rver):    ${stack.s3Endpoint} (bucket ${stack.contentBucket})
  Build events:   ${stack.eventBus?.file} (bus ${stack.eventBus?.name}: tail -f it)
${
  account && service
    ? `  Account SID: ${account.sid}
  Auth token:  ${account.auth_token}
  Service SID: ${service.sid}

Create a build:
  curl -u ${account.sid}:${account.auth_token} ${stack.baseUrl}/v1/Services/${service.sid}/Builds \\
    --data-urlencode 'FunctionVersions=${functionVersion ?? 'ZN…'}' \\
    --data-urlencode 'Dependencies=[{"name":"twilio","version":"5.0.0"}]'
`
    : '  (the seed has no account with a service)'
}
Create an account and an API key of it (see docs/accounts-and-api-keys.md):
  DYNAMODB_ENDPOINT=${stack.dynamoDbEndpoint} TABLE_NAME=${stack.tableName} npm run accounts -- create
  DYNAMODB_ENDPOINT=${stack.dynamoDbEndpoint} TABLE_NAME=${stack.tableName} npm run accounts -- create-key AC…
Ctrl-C (or SIGTERM, to this process or to npm) stops the API, DynamoDB Local, the S3 server and the stream poller.`);

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}: stopping…`);
    // Everything the stack started ends within STOP_LIMIT_MS: past it, what is left is killed.
    const limit = setTimeout(() => {
      // DynamoDB Local's Java is killed on exit (local/dynamodb-local.ts); the S3 server is in this process.
      console.error(`still stopping after ${STOP_LIMIT_MS / 1000} s: killing what is left`);
      process.exit(1);
    }, STOP_LIMIT_MS);
    limit.unref();
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  // A signal sent to the `npm start` process alone (a process manager, `docker stop`, a CI runner)
  // ends npm and its shell but is not passed on to this process: when the process that started
  // this one is gone (this one is handed to another parent), stop as on SIGTERM.
  const parent = process.ppid;
  const watchParent = setInterval(() => {
    if (process.ppid !== parent) void stop('the process that started the stack ended');
  }, 250);
  watchParent.unref();
}

/** The most a stop may take before what is left is killed (the stack's parts stop in about a second). */
const STOP_LIMIT_MS = 8_000;

main().catch((error: Error) => {
  console.error(`Cannot start the local stack: ${error.message}`);
  process.exit(1);
});
