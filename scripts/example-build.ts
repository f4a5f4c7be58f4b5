import { fileURLToPath } from 'node:url';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { newBuild } from '../lambda/domain/build';
import type { Build } from '../lambda/domain/model';
import { readContext } from '../lambda/store/context';
import { keys } from '../lambda/store/keys';
import { Table } from '../lambda/store/table';
import { readSeedFile } from '../local/seed';

export const DEMO_SEED_FILE = fileURLToPath(new URL('../local/demo-seed.json', import.meta.url));

/**
 * The build the sample events in `events/` fetch, poll and delete. Build SIDs are random, so the
 * events name this fixed one, and whoever runs them puts it in the table first: `npm run invoke`
 * does on its throwaway DynamoDB Local, the tests do on theirs.
 */
export const EXAMPLE_BUILD_SID = 'ZB00000000000000000000000000000000';

/** The demo seed's account, service and versions: the ones the sample events name. */
export function demoSids() {
  const seed = readSeedFile(DEMO_SEED_FILE);
  const account = seed.accounts[0];
  const service = seed.services[0];
  const functionVersion = seed.function_versions[0];
  const assetVersion = seed.asset_versions[0];
  if (!account || !service || !functionVersion || !assetVersion) throw new Error(`${DEMO_SEED_FILE} lacks an account, service or version`);
  return { account, serviceSid: service.sid, functionVersionSid: functionVersion.sid, assetVersionSid: assetVersion.sid };
}

/**
 * Writes (or rewrites) the example build: a completed build of the demo service with the demo
 * function and asset versions, as the create handler would have stored it. Returns undefined,
 * writing nothing, when the table does not hold the demo service and versions.
 */
export async function putExampleBuild(client: DynamoDBDocumentClient, tableName: string, now: Date = new Date()): Promise<Build | undefined> {
  const demo = demoSids();
  const found = await readContext(new Table(client, tableName), {
    accountSid: demo.account.sid,
    serviceSid: demo.serviceSid,
    functionVersionSids: [demo.functionVersionSid],
    assetVersionSids: [demo.assetVersionSid],
  });
  const functionVersion = found.functionVersions.get(demo.functionVersionSid);
  const assetVersion = found.assetVersions.get(demo.assetVersionSid);
  if (!found.account || !found.service || !functionVersion || !assetVersion) return undefined;
  const build: Build = {
    ...newBuild({
      accountSid: demo.account.sid,
      serviceSid: demo.serviceSid,
      functionVersions: [functionVersion],
      assetVersions: [assetVersion],
      dependencies: [{ name: 'twilio', version: '5.0.0' }],
      requestedRuntime: 'node22',
      lastCompletedRuntime: undefined,
      ttlSeconds: 24 * 3600,
      now,
    }),
    sid: EXAMPLE_BUILD_SID,
    status: 'completed',
  };
  await client.send(new PutCommand({ TableName: tableName, Item: { ...keys.build(build.service_sid, build.sid), ...build } }));
  return build;
}
