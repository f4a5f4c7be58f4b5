import { config } from '../config';
import { friendlyNameBody } from '../domain/schema';
import { type ApiEvent, httpRoutes, json, type Operation } from '../http/middleware';
import { renderFunctionVersionContent } from '../http/render';
import { baseUrlOf } from '../http/urls';
import { tableStore } from '../store';
import type { FunctionVersionItem } from '../store/items';
import { createDeployable, deleteDeployable, functionVersionContent, updateDeployable } from '../use-cases/deployables';
import { loadService, parsedOrThrow } from './access';
import { ASSETS, type Family, FUNCTIONS, loadDeployable } from './families';
import { listPage } from './list-page';
import { stores } from './stores';

const base = (event: ApiEvent) => baseUrlOf(event, config.publicBaseUrl);

/** The List, Create, Fetch, Update and Delete operations of a family, and its version reads. */
function operationsOf(family: Family): Record<string, Operation> {
  return {
    list: {
      handler: async (event, context) => {
        const service = await loadService(event, context);
        return json(200, await listPage(event, family.listKey, family.path(service.sid), family.collection(service.sid), 'ZH', base(event), family.render));
      },
    },
    create: {
      body: 'form',
      handler: async (event, context) => {
        const service = await loadService(event, context);
        const { FriendlyName } = parsedOrThrow(friendlyNameBody.safeParse(event.body));
        return json(201, family.render(await createDeployable(stores, family.kind, service, FriendlyName, new Date()), base(event)));
      },
    },
    fetch: {
      handler: async (event, context) => json(200, family.render((await loadDeployable(event, context, family, 'Sid')).parent, base(event))),
    },
    update: {
      body: 'form',
      handler: async (event, context) => {
        const { parent } = await loadDeployable(event, context, family, 'Sid');
        const { FriendlyName } = parsedOrThrow(friendlyNameBody.safeParse(event.body));
        return json(200, family.render(await updateDeployable(stores, family.kind, parent, FriendlyName, new Date()), base(event)));
      },
    },
    delete: {
      handler: async (event, context) => {
        await deleteDeployable(stores, family.kind, (await loadDeployable(event, context, family, 'Sid')).parent);
        return { statusCode: 204 };
      },
    },
    listVersions: {
      handler: async (event, context) => {
        const { service, parent } = await loadDeployable(event, context, family, family.parentParam);
        const page = await listPage(
          event,
          family.versionsKey,
          family.versionsPath(service.sid, parent.sid),
          family.versions(service.sid, parent.sid),
          'ZN',
          base(event),
          family.renderVersion,
        );
        return json(200, page);
      },
    },
    fetchVersion: {
      handler: async (event, context) => {
        const { version } = await loadDeployable(event, context, family, family.parentParam, true);
        return json(200, family.renderVersion(version!, base(event)));
      },
    },
  };
}

const functions = operationsOf(FUNCTIONS);
const assets = operationsOf(ASSETS);

/** The Functions and Assets routes, with their versions' reads (uploads are `upload-version`). */
export const handler = httpRoutes(tableStore, {
  ListFunction: functions.list,
  CreateFunction: functions.create,
  FetchFunction: functions.fetch,
  UpdateFunction: functions.update,
  DeleteFunction: functions.delete,
  ListFunctionVersion: functions.listVersions,
  FetchFunctionVersion: functions.fetchVersion,
  FetchFunctionVersionContent: {
    handler: async (event, context) => {
      const { version } = await loadDeployable(event, context, FUNCTIONS, 'FunctionSid', true);
      const functionVersion = version as FunctionVersionItem;
      return json(200, renderFunctionVersionContent(functionVersion, await functionVersionContent(stores, functionVersion), base(event)));
    },
  },
  ListAsset: assets.list,
  CreateAsset: assets.create,
  FetchAsset: assets.fetch,
  UpdateAsset: assets.update,
  DeleteAsset: assets.delete,
  ListAssetVersion: assets.listVersions,
  FetchAssetVersion: assets.fetchVersion,
});
