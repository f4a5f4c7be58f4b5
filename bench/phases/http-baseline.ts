/**
 * Phase 4 (the baseline side, for the record): a node:http server that only makes the conditional
 * PutItem of a build-sized item (the item the stack's handler wrote), into a table of its own
 * created like the stack's (stream included, but no poller reads it and no workflow runs), so that
 * the stack's and the floor's tables get the same writes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable } from '../../local/table';
import { dynamoDbEndpoint, fail, serveCreates } from '../lib/ipc';

async function main(): Promise<void> {
  const tableName = `bench-baseline-${randomUUID()}`;
  const template = JSON.parse(process.env.BENCH_ITEM_TEMPLATE!) as Record<string, unknown>;
  const client = new DynamoDBClient({ endpoint: dynamoDbEndpoint(), region: process.env.AWS_REGION ?? 'us-east-1' });
  await ensureTable(client, tableName);
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const put = async () => {
    const sid = `ZB${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
    const item = { ...template, SK: `BUILD#${sid}`, sid };
    await documents.send(
      new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'PK' } }),
    );
    return JSON.stringify(item);
  };
  await serveCreates('baseline put', put, () => client.destroy());
}

main().catch(fail);
