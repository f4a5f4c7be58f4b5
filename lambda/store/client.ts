import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The one DynamoDB client of a Lambda container, created at cold start and reused.
 * `DYNAMODB_ENDPOINT` points it at DynamoDB Local; on AWS it is unset.
 */
export const dynamoDb = new DynamoDBClient({
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
  // Bounded: when DynamoDB is unreachable the client answers 503 within seconds, never hangs.
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  maxAttempts: 3,
});

export const documentClient = DynamoDBDocumentClient.from(dynamoDb, {
  marshallOptions: { removeUndefinedValues: true },
});
