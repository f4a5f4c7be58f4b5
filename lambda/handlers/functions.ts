import { config } from '../config';
import type { FunctionVersion } from '../domain/model';
import { friendlyNameBody } from '../domain/schema';
import { loadService, parsedOrThrow } from '../http/access';
import { ASSETS, type DeployableResource, FUNCTIONS, loadDeployable } from '../http/deployables';
import { listPage } from '../http/list-page';
import { type ApiEvent, httpRoutes, json, type Operation } from '../http/middleware';
import { renderFunctionVersionContent } from '../http/render';
import { baseUrlOf } from '../http/urls';
import { accounts, content, deployables } from '../store';
import { createDeployable, deleteDeployable, functionVersionContent, renameDeployable } from '../use-cases/deployables';

const base = (event: ApiEvent) => baseUrlOf(event, config.publicBaseUrl);

/** The List, Create, Fetch, Update and Delete operations of one kind of deployable, and its version reads. */
function operationsOf(resource: DeployableResource): Record<string, Operation> {
  return {
    list: {
      handler: async (event, context) => {
        const service = await loadService(event, context);
        return json(
          200,
          await listPage(event, resource.listKey, resource.path(service.sid), resource.collection(service.sid), 'ZH', base(event), resource.render),
        );
      },
    },
    create: {
      body: 'form',
      handler: async (event, context) => {
        const service = await loadService(event, context);
        const { FriendlyName } = parsedOrThrow(friendlyNameBody.safeParse(event.body));
        return json(201, resource.render(await createDeployable(deployables, resource.kind, service, FriendlyName, new Date()), base(event)));
      },
    },
    fetch: {
      handler: async (event, context) => json(200, resource.render((await loadDeployable(event, context, resource, 'Sid')).parent, base(event))),
    },
    update: {
      body: 'form',
      handler: async (event, context) => {
        const { parent } = await loadDeployable(event, context, resource, 'Sid');
        const { FriendlyName } = parsedOrThrow(friendlyNameBody.safeParse(event.body));
        return json(200, resource.render(await renameDeployable(deployables, resource.kind, parent, FriendlyName, new Date()), base(event)));
      },
    },
    delete: {
      handler: async (event, context) => {
        await deleteDeployable({ deployables, content }, resource.kind, (await loadDeployable(event, context, resource, 'Sid')).parent);
        return { statusCode: 204 };
      },
    },
    listVersions: {
      handler: async (event, context) => {
        const { service, parent } = await loadDeployable(event, context, resource, resource.parentParam);
        const page = await listPage(
          event,
          resource.versionsKey,
          resource.versionsPath(service.sid, parent.sid),
          resource.versions(service.sid, parent.sid),
          'ZN',
          base(event),
          resource.renderVersion,
        );
        return json(200, page);
      },
    },
    fetchVersion: {
      handler: async (event, context) => {
        const { version } = await loadDeployable(event, context, resource, resource.parentParam, true);
        return json(200, resource.renderVersion(version!, base(event)));
      },
    },
  };
}

const functions = operationsOf(FUNCTIONS);
const assets = operationsOf(ASSETS);

/** The Functions and Assets routes, with their versions' reads (uploads are `upload-version`). */
export const handler = httpRoutes(accounts, {
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
      const functionVersion = version as FunctionVersion;
      return json(200, renderFunctionVersionContent(functionVersion, await functionVersionContent(content, functionVersion), base(event)));
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
