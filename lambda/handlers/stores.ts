import { contentStore, tableStore } from '../store';
import type { Stores } from '../use-cases/ports';

/** The stores of this container, as the use cases take them. */
export const stores: Stores = { table: tableStore, content: contentStore };
