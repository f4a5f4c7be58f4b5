import { decodePageToken } from '../domain/paging';
import { listQuery } from '../domain/schema';
import { type Collection, readPage } from '../store';
import { parsedOrThrow } from './access';
import type { ApiEvent } from './middleware';
import { renderPage } from './render';

/**
 * One page of any list route, in Twilio's envelope under `key`: paging parameters checked (400
 * naming the bad one), one Query, each item rendered. The caller has authorized the collection.
 */
export async function listPage<T extends { sid: string }, R>(
  event: ApiEvent,
  key: string,
  collectionPath: string,
  collection: Collection,
  sidPrefix: string,
  base: string,
  render: (item: T, base: string) => R,
) {
  const query = parsedOrThrow(listQuery.safeParse(event.queryStringParameters ?? {}));
  const cursor = query.PageToken === undefined ? undefined : decodePageToken(query.PageToken, sidPrefix);
  const page = await readPage<T>(collection, query.PageSize, cursor);
  // Without a PageToken the page is the first, whatever `Page` says: `Page` only labels a token's page.
  const pageNumber = cursor ? query.Page : 0;
  return renderPage(key, collectionPath, { pageSize: query.PageSize, page: pageNumber, pageToken: query.PageToken, cursor }, page, base, render);
}
