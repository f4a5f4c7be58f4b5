import { config } from '../config';
import { BuildsStore } from './builds-store';
import { documentClient } from './client';

/** The store every handler of this container uses. */
export const buildsStore = new BuildsStore(documentClient, config.tableName);
