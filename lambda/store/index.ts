import { S3Client } from '@aws-sdk/client-s3';
import { config, requireOnLambda } from '../config';
import { documentClient } from './client';
import { ContentStore, S3_CLIENT_OPTIONS } from './content-store';
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
      ...S3_CLIENT_OPTIONS,
    }),
    config.contentBucket,
  );
  return contentStoreOfContainer;
}
