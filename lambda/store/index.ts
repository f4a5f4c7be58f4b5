import { S3Client } from '@aws-sdk/client-s3';
import { config, requireOnLambda } from '../config';
import { documentClient } from './client';
import { ContentStore } from './content-store';
import { TableStore } from './table-store';

/** The table store every handler of this container uses (on Lambda, TABLE_NAME must be set: checked at init). */
requireOnLambda('TABLE_NAME');
export const tableStore = new TableStore(documentClient, config.tableName);

let contentStoreOfContainer: ContentStore | undefined;

/**
 * The content store (S3), created on first use: only the functions that touch content pay for
 * the S3 client at cold start. `S3_ENDPOINT` points it at the local S3 server (path-style). On
 * Lambda, CONTENT_BUCKET must be set (the default names a bucket that may be someone else's).
 */
export function contentStore(): ContentStore {
  if (!contentStoreOfContainer) requireOnLambda('CONTENT_BUCKET');
  contentStoreOfContainer ??= new ContentStore(
    new S3Client({
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
      // A connection that cannot be made fails within 1 s (503); `requestTimeout` only logs a warning,
      // as for the DynamoDB client (lambda/store/client.ts): a hung request ends at the function's timeout.
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 4_000 },
      maxAttempts: 2,
    }),
    config.contentBucket,
  );
  return contentStoreOfContainer;
}
