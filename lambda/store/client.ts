import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * How the handlers' client makes its requests (the bench's floors make theirs the same way). A
 * connection that cannot be made within 1 s fails, so that an unreachable DynamoDB answers 503
 * within seconds; `requestTimeout` only logs a warning (the SDK's default), since a write retried
 * after a timeout could be the one that landed.
 */
export const DYNAMODB_CLIENT_OPTIONS = {
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  maxAttempts: 3,
} as const;

/**
 * The one DynamoDB client of a Lambda container, created at cold start and reused.
 * `DYNAMODB_ENDPOINT` points it at DynamoDB Local; on AWS it is unset.
 */
export const dynamoDb = new DynamoDBClient({
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
  ...DYNAMODB_CLIENT_OPTIONS,
});

export const documentClient = DynamoDBDocumentClient.from(dynamoDb, {
  marshallOptions: { removeUndefinedValues: true },
});
