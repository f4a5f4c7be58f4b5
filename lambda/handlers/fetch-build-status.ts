import { config } from '../config';
import { httpRoute, json } from '../http/middleware';
import { renderBuildStatus } from '../http/render';
import { withTransientRetries } from '../http/retry';
import { baseUrlOf } from '../http/urls';
import { tableStore } from '../store';
import { authorizeOwnBuild, buildPath, loadAccountAndBuild } from './access';

/**
 * How long Status retries a transient DynamoDB failure before it answers 503. Deploy tools poll
 * Status every second and Twilio's serverless toolkit ends the deploy on any non-2xx answer, so a
 * brief DynamoDB blip must be ridden out here, well inside the function's 10 s timeout.
 */
export const STATUS_RETRY_BUDGET_MS = 8_000;

/** GET /v1/Services/{ServiceSid}/Builds/{Sid}/Status (FetchBuildStatus). */
export const handler = httpRoute(tableStore, async (event, context) => {
  const { serviceSid, buildSid } = buildPath(event);
  const found = await withTransientRetries(() => loadAccountAndBuild(context.credentials.accountSid, serviceSid, buildSid), {
    budgetMs: STATUS_RETRY_BUDGET_MS,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  const build = authorizeOwnBuild(context.credentials, found, event.rawPath);
  return json(200, renderBuildStatus(build, baseUrlOf(event, config.publicBaseUrl)));
});
