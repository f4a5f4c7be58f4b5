import type { ContentStore } from '../store/content-store';
import type { TableStore } from '../store/table-store';

/** What the use cases need of the outside world: the table and the content bucket (created on first use). */
export interface Stores {
  table: Pick<TableStore, 'insertService' | 'update' | 'deleteService' | 'insert' | 'insertVersion' | 'deleteWithVersions'>;
  content: () => Pick<ContentStore, 'put' | 'markReferenced' | 'get' | 'deleteMany' | 'deletePrefix'>;
}
