import { readFileSync } from 'node:fs';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { newTokenHash } from '../lambda/domain/credentials';
import { newDomainBase } from '../lambda/domain/resources';
import { ACCOUNT_SID, FUNCTION_OR_ASSET_SID, SERVICE_SID, VERSION_SID } from '../lambda/domain/sid';
import { type ItemKey, keys, PARENT_INDEX } from '../lambda/store/keys';

const sid = (pattern: RegExp) => z.string().regex(pattern, { error: `must match ${pattern.source}` });
const visibility = z.enum(['public', 'protected', 'private']);

/** The seed format: snake_case, mirroring Twilio's resources; owners follow from the parents. */
export const seedSchema = z.strictObject({
  accounts: z.array(z.strictObject({ sid: sid(ACCOUNT_SID), auth_token: z.string().min(16, { error: 'must be at least 16 characters' }) })).default([]),
  services: z
    .array(z.strictObject({ sid: sid(SERVICE_SID), account_sid: sid(ACCOUNT_SID), unique_name: z.string().min(1), friendly_name: z.string().min(1) }))
    .default([]),
  functions: z.array(z.strictObject({ sid: sid(FUNCTION_OR_ASSET_SID), service_sid: sid(SERVICE_SID), friendly_name: z.string().min(1) })).default([]),
  function_versions: z
    .array(z.strictObject({ sid: sid(VERSION_SID), function_sid: sid(FUNCTION_OR_ASSET_SID), path: z.string().startsWith('/'), visibility }))
    .default([]),
  assets: z.array(z.strictObject({ sid: sid(FUNCTION_OR_ASSET_SID), service_sid: sid(SERVICE_SID), friendly_name: z.string().min(1) })).default([]),
  asset_versions: z
    .array(z.strictObject({ sid: sid(VERSION_SID), asset_sid: sid(FUNCTION_OR_ASSET_SID), path: z.string().startsWith('/'), visibility }))
    .default([]),
});

export type Seed = z.output<typeof seedSchema>;

export class SeedError extends Error {
  override name = 'SeedError';
}

/** Validates a seed; the error names the bad entry, e.g. `function_versions[2].sid: must match …`. */
export function parseSeed(input: unknown): Seed {
  const result = seedSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.reduce<string>(
      (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
      '',
    );
    throw new SeedError(`Invalid seed: ${where || '(root)'}: ${issue?.message}`);
  }
  return result.data;
}

/** Reads and validates a seed file. */
export function readSeedFile(path: string): Seed {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SeedError(`Cannot read seed file ${path}: ${(error as Error).message}`);
  }
  return parseSeed(json);
}

export interface SeedItem {
  key: ItemKey;
  /** Attributes set on every load. */
  fields: Record<string, unknown>;
  /** Attributes set only when the item is new, so that loading twice changes nothing. */
  createOnly?: Record<string, unknown>;
}

/** Turns a seed into table items, resolving each entry's owners from its parents. */
export function seedItems(seed: Seed, now: Date = new Date()): SeedItem[] {
  const lookup = <T extends { sid: string }>(list: T[], kind: string) => {
    const bySid = new Map(list.map((entry) => [entry.sid, entry]));
    return (parentSid: string, where: string): T => {
      const parent = bySid.get(parentSid);
      if (!parent) throw new SeedError(`Invalid seed: ${where} refers to ${kind} ${parentSid}, which the seed does not define`);
      return parent;
    };
  };
  const account = lookup(seed.accounts, 'account');
  const service = lookup(seed.services, 'service');
  const fn = lookup(seed.functions, 'function');
  const asset = lookup(seed.assets, 'asset');
  const created = { date_created: now.toISOString() };

  const items: SeedItem[] = [];
  for (const entry of seed.accounts) {
    items.push({
      key: keys.account(entry.sid),
      fields: { sid: entry.sid, ...newTokenHash(entry.auth_token), [PARENT_INDEX.partitionKey]: keys.accountsParent() },
    });
  }
  // What the API would have set on creation, so that seeded items read like created ones.
  const dated = { date_created: now.toISOString(), date_updated: now.toISOString() };
  seed.services.forEach((entry, index) => {
    account(entry.account_sid, `services[${index}].account_sid`);
    items.push({
      key: keys.service(entry.account_sid, entry.sid),
      fields: { ...entry },
      createOnly: { include_credentials: true, ui_editable: false, domain_base: newDomainBase(entry.unique_name), ...dated },
    });
    items.push({ key: keys.serviceName(entry.account_sid, entry.unique_name), fields: { service_sid: entry.sid } });
  });
  seed.functions.forEach((entry, index) => {
    const owner = service(entry.service_sid, `functions[${index}].service_sid`);
    items.push({ key: keys.function(entry.service_sid, entry.sid), fields: { ...entry, account_sid: owner.account_sid }, createOnly: dated });
  });
  seed.assets.forEach((entry, index) => {
    const owner = service(entry.service_sid, `assets[${index}].service_sid`);
    items.push({ key: keys.asset(entry.service_sid, entry.sid), fields: { ...entry, account_sid: owner.account_sid }, createOnly: dated });
  });
  seed.function_versions.forEach((entry, index) => {
    const parent = fn(entry.function_sid, `function_versions[${index}].function_sid`);
    const owner = service(parent.service_sid, `functions[].service_sid`);
    items.push({
      key: keys.functionVersion(parent.service_sid, entry.sid),
      fields: {
        ...entry,
        service_sid: parent.service_sid,
        account_sid: owner.account_sid,
        [PARENT_INDEX.partitionKey]: keys.functionParent(entry.function_sid),
      },
      createOnly: created,
    });
  });
  seed.asset_versions.forEach((entry, index) => {
    const parent = asset(entry.asset_sid, `asset_versions[${index}].asset_sid`);
    const owner = service(parent.service_sid, `assets[].service_sid`);
    items.push({
      key: keys.assetVersion(parent.service_sid, entry.sid),
      fields: { ...entry, service_sid: parent.service_sid, account_sid: owner.account_sid, [PARENT_INDEX.partitionKey]: keys.assetParent(entry.asset_sid) },
      createOnly: created,
    });
  });
  return items;
}

/**
 * Writes a seed into the table, idempotently: each item is updated in place, so attributes the
 * seed does not carry (a service's last completed runtime, a version's creation date) survive.
 */
export async function loadSeed(client: DynamoDBDocumentClient, tableName: string, seed: Seed): Promise<number> {
  const items = seedItems(seed);
  const CONCURRENCY = 16;
  for (let i = 0; i < items.length; i += CONCURRENCY) {
    await Promise.all(items.slice(i, i + CONCURRENCY).map((item) => client.send(upsert(tableName, item))));
  }
  return items.length;
}

function upsert(tableName: string, item: SeedItem): UpdateCommand {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const add = (fields: Record<string, unknown>, createOnly: boolean) =>
    Object.entries(fields).forEach(([name, value], index) => {
      const tag = `${createOnly ? 'c' : 'f'}${index}`;
      names[`#${tag}`] = name;
      values[`:${tag}`] = value;
      sets.push(createOnly ? `#${tag} = if_not_exists(#${tag}, :${tag})` : `#${tag} = :${tag}`);
    });
  add(item.fields, false);
  add(item.createOnly ?? {}, true);
  return new UpdateCommand({
    TableName: tableName,
    Key: item.key,
    UpdateExpression: `SET ${sets.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}
