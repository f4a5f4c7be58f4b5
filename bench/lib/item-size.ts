import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { ItemKey } from '../../lambda/store/keys';

/**
 * DynamoDB's item size in bytes, by its documented rules ("Item sizes and formats"): the UTF-8 length of each attribute name
 * plus its value — strings and binaries their byte length, a number about (significant digits / 2) + 1, booleans and nulls 1,
 * lists and maps 3 bytes plus 1 per element plus their contents (map keys counted like attribute names).
 */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function numberSize(text: string): number {
  // Significant digits: no sign, exponent or decimal point, no leading or trailing zeros.
  const digits = text.replace(/^-|[eE].*$|\./g, '').replace(/^0+|0+$/g, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M !== undefined) {
    return 3 + Object.entries(value.M).reduce((sum, [key, element]) => sum + 1 + Buffer.byteLength(key) + valueSize(element), 0);
  }
  return 0;
}

/** Write request units of one write of an item of this size (1 KB each, rounded up). */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** Read request units of one eventually consistent read of an item (4 KB each, rounded up, halved). */
export const eventuallyConsistentReadUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 4096)) / 2;

/** The size of an item as DynamoDB (Local) stores it; throws when there is none. */
export async function storedItemSize(client: DynamoDBClient, tableName: string, key: ItemKey): Promise<number> {
  const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }));
  if (!Item) throw new Error(`no item ${key.PK} ${key.SK}`);
  return itemSize(Item);
}
