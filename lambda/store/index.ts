import { S3Client } from '@aws-sdk/client-s3';
import { config, requireOnLambda } from '../config';
import type { Page, PageCursor } from '../domain/paging';
import type { ContextQuery, RequestContext } from '../use-cases/ports';
import { AccountTable } from './accounts';
import { BuildTable } from './builds';
import { documentClient } from './client';
import { ContentBucket, S3_CLIENT_OPTIONS } from './content';
import { readContext } from './context';
import { DeployableTable } from './deployables';
import { EnvironmentTable } from './environments';
import { type Collection, queryPage } from './lists';
import { ServiceTable } from './services';
import { Table } from './table';

export { type Collection, collections } from './lists';

/** The stores every handler of this container uses (on Lambda, TABLE_NAME must be set: checked at init). */
requireOnLambda('TABLE_NAME');
const table = new Table(documentClient, config.tableName);

// Pure: a function's bundle keeps only the stores its handlers use.
export const accounts = /* @__PURE__ */ new AccountTable(table);
export const services = /* @__PURE__ */ new ServiceTable(table);
export const deployables = /* @__PURE__ */ new DeployableTable(table);
export const environments = /* @__PURE__ */ new EnvironmentTable(table);
export const builds = /* @__PURE__ */ new BuildTable(table);

/** Reads what one request needs in one BatchGetItem (lambda/store/context.ts). */
export const readRequestContext = (query: ContextQuery, options: { abortSignal?: AbortSignal } = {}): Promise<RequestContext> =>
  readContext(table, query, options);

/** One page of a collection (lambda/store/lists.ts). */
export const readPage = <T>(collection: Collection, pageSize: number, cursor?: PageCursor): Promise<Page<T>> =>
  queryPage<T>(table, collection, pageSize, cursor);

let contentOfContainer: ContentBucket | undefined;

/**
 * The content store (S3), created on first use: only the functions that touch content pay for
 * the S3 client at cold start. `S3_ENDPOINT` points it at the local S3 server (path-style). On
 * Lambda, CONTENT_BUCKET must be set (the default names a bucket that may be someone else's).
 */
export function content(): ContentBucket {
  if (!contentOfContainer) requireOnLambda('CONTENT_BUCKET');
  contentOfContainer ??= new ContentBucket(
    new S3Client({
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
      ...S3_CLIENT_OPTIONS,
    }),
    config.contentBucket,
  );
  return contentOfContainer;
}
