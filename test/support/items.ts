import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { BUILD_SORT_PREFIX, TABLE_KEY } from '../../lambda/store/keys';

/** Every build item of a table (a Scan: for tests and the load check only, never the API). */
export async function scanBuildItems(client: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }));
    items.push(...(page.Items ?? []).filter((item) => String(item[TABLE_KEY.sortKey]).startsWith(BUILD_SORT_PREFIX)));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
