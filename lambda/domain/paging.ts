import { InvalidInput } from './errors';

/** Where a page starts: right after or right before an item, in the list's order. */
export interface PageCursor {
  sid: string;
  direction: 'after' | 'before';
}

/** One page of a list, and whether more items follow in the page's direction. */
export interface Page<T> {
  items: T[];
  more: boolean;
}

const PAGE_TOKEN = /^P([AB])([A-Z]{2}[0-9a-fA-F]{32})$/;

/** The opaque `PageToken` of the page right after (`PA…`) or right before (`PB…`) an item. */
export function encodePageToken(cursor: PageCursor): string {
  return `P${cursor.direction === 'after' ? 'A' : 'B'}${cursor.sid}`;
}

/** The cursor a `PageToken` stands for; InvalidInput when the token is not one this API issued for this list. */
export function decodePageToken(token: string, sidPrefix: string): PageCursor {
  const match = PAGE_TOKEN.exec(token);
  if (!match?.[2]?.startsWith(sidPrefix)) throw new InvalidInput('Invalid PageToken: not a token this API issued');
  return { direction: match[1] === 'A' ? 'after' : 'before', sid: match[2] };
}
