import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  type StreamSpecification,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { PARENT_INDEX, TABLE_KEY, TTL_ATTRIBUTE } from '../lambda/store/keys';
import { TABLE_STREAM_VIEW_TYPE } from '../lib/table-stream';

/** The table's stream, as the CDK stack enables it: the outbox the workflow is started from (lib/build-outbox.ts) and the build events' source (lib/build-events.ts). */
export const TABLE_STREAM: StreamSpecification = { StreamEnabled: true, StreamViewType: TABLE_STREAM_VIEW_TYPE };

/**
 * Creates the Builds table as the CDK stack defines it (same keys, on-demand, TTL, the stream); if
 * it exists without a stream (made before the outbox), the stream is turned on, and if its
 * stream has another view type (made before the build events), the stream is replaced, as a
 * deploy replaces it: the poller then reads the new stream from its start.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: TABLE_STREAM,
        AttributeDefinitions: [
          { AttributeName: TABLE_KEY.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEY.sortKey, AttributeType: 'S' },
          { AttributeName: PARENT_INDEX.partitionKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: PARENT_INDEX.name,
            KeySchema: [
              { AttributeName: PARENT_INDEX.partitionKey, KeyType: 'HASH' },
              { AttributeName: PARENT_INDEX.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const stream = Table?.StreamSpecification;
  if (stream?.StreamEnabled && stream.StreamViewType !== TABLE_STREAM.StreamViewType) {
    // A stream's view type cannot change: DynamoDB takes a stream off, then a new one on.
    await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }));
  }
  if (!stream?.StreamEnabled || stream.StreamViewType !== TABLE_STREAM.StreamViewType) {
    await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: TABLE_STREAM }));
  }
}
