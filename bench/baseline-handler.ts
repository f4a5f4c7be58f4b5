/** The baseline function of the bundle and cold-start comparisons: a DynamoDBDocumentClient and one conditional PutCommand. */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

const documentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({ ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}) }),
);

export const handler = async () => {
  const sid = randomUUID();
  await documentClient.send(
    new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: { PK: 'BASELINE', SK: sid, date_created: new Date().toISOString() },
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
  return { statusCode: 201, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sid }) };
};
