import { newBuild, renderBuild, requireVersions } from '../builds/build';
import { createBuildBody } from '../builds/schema';
import { config } from '../config';
import { httpRoute, json, logger } from '../http/middleware';
import { baseUrlOf } from '../http/urls';
import { buildsStore } from '../store';
import { startBuildWorkflow } from '../workflow';
import { authorizeService, buildPath, parsedOrThrow } from './access';

/** POST /v1/Services/{ServiceSid}/Builds (CreateBuild). */
export const handler = httpRoute(
  async (event, context) => {
    const { serviceSid } = buildPath(event);
    const parsed = createBuildBody.safeParse(event.body);
    const found = await buildsStore.loadContext({
      accountSid: context.credentials.accountSid,
      serviceSid,
      functionVersionSids: parsed.data?.FunctionVersions,
      assetVersionSids: parsed.data?.AssetVersions,
    });
    const service = authorizeService(context.credentials, found, event.rawPath);
    const body = parsedOrThrow(parsed);

    const build = newBuild({
      accountSid: context.credentials.accountSid,
      serviceSid,
      functionVersions: requireVersions('FunctionVersions', body.FunctionVersions, found.functionVersions),
      assetVersions: requireVersions('AssetVersions', body.AssetVersions, found.assetVersions),
      dependencies: body.Dependencies,
      requestedRuntime: body.Runtime,
      lastCompletedRuntime: service.last_completed_runtime,
      ttlSeconds: config.buildTtlSeconds,
      now: new Date(),
    });
    await buildsStore.putBuild(build);
    try {
      await startBuildWorkflow(config.stateMachineArn, build);
    } catch (error) {
      // No 201 may name a build that cannot complete.
      logger.error('could not start the build workflow; marking the build failed', { buildSid: build.sid, error: error as Error });
      await buildsStore.markBuildFailed(serviceSid, build.sid, 20500, 'The build workflow could not be started', new Date());
      throw error;
    }
    return json(201, renderBuild(build, baseUrlOf(event, config.publicBaseUrl)));
  },
  { form: true },
);
