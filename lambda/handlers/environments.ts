import { config } from '../config';
import type { Environment, Service } from '../domain/model';
import { decodePageToken, type Page } from '../domain/paging';
import { createDeploymentBody, createEnvironmentBody, createVariableBody, listLogsQuery, updateVariableBody } from '../domain/schema';
import { ANY_SID, DEPLOYMENT_SID, ENVIRONMENT_SID, VARIABLE_SID } from '../domain/sid';
import { authorizeService, loadService, parsedOrThrow, pathSid } from '../http/access';
import { notFound } from '../http/errors';
import { listPage } from '../http/list-page';
import { businessMetrics } from '../http/metrics';
import { type ApiContext, type ApiEvent, httpRoutes, json } from '../http/middleware';
import { renderDeployment, renderEnvironment, renderPage, renderVariable } from '../http/render';
import { baseUrlOf, paths } from '../http/urls';
import { accounts, collections, environments, readRequestContext } from '../store';
import { createEnvironment, createVariable, deleteEnvironment, deleteVariable, deploy, updateVariable } from '../use-cases/environments';
import type { ContextQuery, RequestContext } from '../use-cases/ports';

const base = (event: ApiEvent) => baseUrlOf(event, config.publicBaseUrl);

interface Loaded extends RequestContext {
  service: Service;
  environment: Environment;
}

/**
 * The service and environment a path names (by `Sid` on the environment's own routes, by
 * `EnvironmentSid` below it) and whatever else `extra` asks for, in one read; 401 for wrong
 * credentials, 404 unless the service and environment are the caller's.
 */
async function loadEnvironment(event: ApiEvent, context: ApiContext, parameter: 'Sid' | 'EnvironmentSid', extra: Partial<ContextQuery> = {}): Promise<Loaded> {
  const { accountSid } = context.credentials;
  const serviceSid = pathSid(event, 'ServiceSid');
  const environmentSid = pathSid(event, parameter, ENVIRONMENT_SID);
  const found = await readRequestContext({ accountSid, serviceSid, environmentSid, ...extra });
  const service = authorizeService(context.credentials, found, event.rawPath);
  if (!found.environment || found.environment.account_sid !== accountSid) throw notFound(event.rawPath);
  return { ...found, service, environment: found.environment };
}

/** The Environments routes, with their Variables, Deployments and Logs. */
export const handler = httpRoutes(accounts, {
  ListEnvironment: {
    handler: async (event, context) => {
      const service = await loadService(event, context);
      return json(
        200,
        await listPage(event, 'environments', paths.environments(service.sid), collections.environments(service.sid), 'ZE', base(event), renderEnvironment),
      );
    },
  },
  CreateEnvironment: {
    body: 'form',
    handler: async (event, context) => {
      const service = await loadService(event, context);
      const request = parsedOrThrow(createEnvironmentBody.safeParse(event.body));
      return json(201, renderEnvironment(await createEnvironment(environments, service, request, config.functionsDomain, new Date()), base(event)));
    },
  },
  FetchEnvironment: {
    handler: async (event, context) => json(200, renderEnvironment((await loadEnvironment(event, context, 'Sid')).environment, base(event))),
  },
  DeleteEnvironment: {
    handler: async (event, context) => {
      const { environment } = await loadEnvironment(event, context, 'Sid');
      await deleteEnvironment(environments, environment, config.buildTtlSeconds, new Date());
      return { statusCode: 204 };
    },
  },
  ListVariable: {
    handler: async (event, context) => {
      const { service, environment } = await loadEnvironment(event, context, 'EnvironmentSid');
      const page = await listPage(
        event,
        'variables',
        paths.variables(service.sid, environment.sid),
        collections.variables(service.sid, environment.sid),
        'ZV',
        base(event),
        renderVariable,
      );
      return json(200, page);
    },
  },
  CreateVariable: {
    body: 'form',
    handler: async (event, context) => {
      const { environment } = await loadEnvironment(event, context, 'EnvironmentSid');
      const request = parsedOrThrow(createVariableBody.safeParse(event.body));
      return json(201, renderVariable(await createVariable(environments, environment, request, new Date()), base(event)));
    },
  },
  FetchVariable: {
    handler: async (event, context) => {
      const { variable } = await loadEnvironment(event, context, 'EnvironmentSid', { variableSid: pathSid(event, 'Sid', VARIABLE_SID) });
      if (!variable) throw notFound(event.rawPath);
      return json(200, renderVariable(variable, base(event)));
    },
  },
  UpdateVariable: {
    body: 'form',
    handler: async (event, context) => {
      const { variable } = await loadEnvironment(event, context, 'EnvironmentSid', { variableSid: pathSid(event, 'Sid', VARIABLE_SID) });
      if (!variable) throw notFound(event.rawPath);
      const request = parsedOrThrow(updateVariableBody.safeParse(event.body));
      return json(200, renderVariable(await updateVariable(environments, variable, request, new Date()), base(event)));
    },
  },
  DeleteVariable: {
    handler: async (event, context) => {
      const { variable } = await loadEnvironment(event, context, 'EnvironmentSid', { variableSid: pathSid(event, 'Sid', VARIABLE_SID) });
      if (!variable) throw notFound(event.rawPath);
      await deleteVariable(environments, variable);
      return { statusCode: 204 };
    },
  },
  ListDeployment: {
    handler: async (event, context) => {
      const { service, environment } = await loadEnvironment(event, context, 'EnvironmentSid');
      const page = await listPage(
        event,
        'deployments',
        paths.deployments(service.sid, environment.sid),
        collections.deployments(service.sid, environment.sid),
        'ZD',
        base(event),
        renderDeployment,
      );
      return json(200, page);
    },
  },
  CreateDeployment: {
    body: 'form',
    handler: async (event, context) => {
      // Parsed first so that the build is read in the same request; refused only after authentication.
      const parsed = createDeploymentBody.safeParse(event.body);
      const { environment, build } = await loadEnvironment(event, context, 'EnvironmentSid', { buildSid: parsed.data?.BuildSid });
      const request = parsedOrThrow(parsed);
      const deployment = await deploy(environments, environment, build, request, config.buildTtlSeconds, new Date());
      businessMetrics.deployment(context.credentials.accountSid);
      return json(201, renderDeployment(deployment, base(event)));
    },
  },
  FetchDeployment: {
    handler: async (event, context) => {
      const { deployment } = await loadEnvironment(event, context, 'EnvironmentSid', { deploymentSid: pathSid(event, 'Sid', DEPLOYMENT_SID) });
      if (!deployment) throw notFound(event.rawPath);
      return json(200, renderDeployment(deployment, base(event)));
    },
  },
  ListLog: {
    handler: async (event, context) => {
      const { service, environment } = await loadEnvironment(event, context, 'EnvironmentSid');
      const query = parsedOrThrow(listLogsQuery.safeParse(event.queryStringParameters ?? {}));
      const cursor = query.PageToken === undefined ? undefined : decodePageToken(query.PageToken, 'NO');
      // No function runs on this API, so no log entries exist: a well-formed empty page.
      const none: Page<{ sid: string }> = { items: [], more: false };
      const request = { pageSize: query.PageSize, page: query.Page, pageToken: query.PageToken, cursor };
      return json(
        200,
        renderPage('logs', paths.logs(service.sid, environment.sid), request, none, base(event), (item) => item),
      );
    },
  },
  FetchLog: {
    handler: async (event, context) => {
      await loadEnvironment(event, context, 'EnvironmentSid');
      pathSid(event, 'Sid', ANY_SID);
      throw notFound(event.rawPath);
    },
  },
});
