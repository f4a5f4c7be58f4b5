import { config } from '../config';
import { authorizeOwnBuild, buildPath, loadAccountAndBuild } from '../http/access';
import { httpRoute, json } from '../http/middleware';
import { renderBuildStatus } from '../http/render';
import { withTransientRetries } from '../http/retry';
import { baseUrlOf } from '../http/urls';
import { accounts } from '../store';

/**
 * How long Status retries a transient DynamoDB failure before it answers 503. Deploy tools poll
 * Status every second and Twilio's serverless toolkit ends the deploy on any non-2xx answer, so a
 * DynamoDB blip (or a restart of DynamoDB Local) must be ridden out here. The function's own
 * timeout must be longer than budget + reserve, and shorter than API Gateway's integration timeout.
 */
export const STATUS_RETRY_BUDGET_MS = 22_000;

/** Kept free of the function's remaining time for the answer after the last attempt. */
export const STATUS_RETRY_RESERVE_MS = 2_000;

/** One read abandoned after this long (a hung connection), then retried within the budget. */
export const STATUS_ATTEMPT_TIMEOUT_MS = 3_000;

/** GET /v1/Services/{ServiceSid}/Builds/{Sid}/Status (FetchBuildStatus). */
export const handler = httpRoute(accounts, async (event, context) => {
  const { serviceSid, buildSid } = buildPath(event);
  const found = await withTransientRetries((abortSignal) => loadAccountAndBuild(context.credentials.accountSid, serviceSid, buildSid, { abortSignal }), {
    budgetMs: STATUS_RETRY_BUDGET_MS,
    reserveMs: STATUS_RETRY_RESERVE_MS,
    attemptTimeoutMs: STATUS_ATTEMPT_TIMEOUT_MS,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  const build = authorizeOwnBuild(context.credentials, found, event.rawPath);
  return json(200, renderBuildStatus(build, baseUrlOf(event, config.publicBaseUrl)));
});
