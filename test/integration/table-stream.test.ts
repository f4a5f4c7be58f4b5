import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TABLE_KEY } from '../../lambda/store/keys';
import { TABLE_STREAM_VIEW_TYPE } from '../../lib/table-stream';
import { useLocalCredentials } from '../../local/backend';
import { ensureTable } from '../../local/table';

useLocalCredentials();
const dynamoDb = new DynamoDBClient({ endpoint: inject('dynamoDbEndpoint') });
const tableName = `builds-stream-${randomUUID()}`;
afterAll(async () => {
  await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  dynamoDb.destroy();
});

describe("the local table's stream", () => {
  it('replaces the stream of a table made before the build events (new images only) with one of both images, as a deploy does', async () => {
    await dynamoDb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
        AttributeDefinitions: [
          { AttributeName: TABLE_KEY.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEY.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
    const before = (await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }))).Table!;
    await ensureTable(dynamoDb, tableName);
    const after = (await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }))).Table!;
    expect(TABLE_STREAM_VIEW_TYPE).toBe('NEW_AND_OLD_IMAGES');
    expect(after.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: TABLE_STREAM_VIEW_TYPE });
    expect(after.LatestStreamArn).not.toBe(before.LatestStreamArn);
    // Idempotent: a table already right keeps its stream.
    await ensureTable(dynamoDb, tableName);
    expect((await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }))).Table!.LatestStreamArn).toBe(after.LatestStreamArn);
  });
});
