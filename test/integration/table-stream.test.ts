import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
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
    expect(after.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: TABLE_STREAM_VIEW_TYPE });
    expect(after.LatestStreamArn).not.toBe(before.LatestStreamArn);
    // Idempotent: a table already right keeps its stream.
    await ensureTable(dynamoDb, tableName);
    expect((await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }))).Table!.LatestStreamArn).toBe(after.LatestStreamArn);

    // What the build events pipe needs of it: an update's record carries the status before and after.
    const key = { [TABLE_KEY.partitionKey]: { S: 'SERVICE#ZS1' }, [TABLE_KEY.sortKey]: { S: 'BUILD#ZB1' } };
    await dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: { ...key, status: { S: 'building' } } }));
    await dynamoDb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET #status = :completed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':completed': { S: 'completed' } },
      }),
    );
    const streams = new DynamoDBStreamsClient({ endpoint: inject('dynamoDbEndpoint') });
    try {
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: after.LatestStreamArn }));
      const records = [];
      for (const shard of StreamDescription?.Shards ?? []) {
        const { ShardIterator } = await streams.send(
          new GetShardIteratorCommand({ StreamArn: after.LatestStreamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        records.push(...((await streams.send(new GetRecordsCommand({ ShardIterator }))).Records ?? []));
      }
      const modified = records.find((record) => record.eventName === 'MODIFY');
      expect(modified?.dynamodb?.OldImage?.status).toEqual({ S: 'building' });
      expect(modified?.dynamodb?.NewImage?.status).toEqual({ S: 'completed' });
    } finally {
      streams.destroy();
    }
  });
});
