import { parse as parseForm } from 'node:querystring';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { config } from '../config';
import { ROUTES, type RouteId, routeKeyOf } from '../routes';
import type { ApiKeyReader } from '../use-cases/ports';
import { type Credentials, parseBasicAuth, verifyApiKey } from './auth';
import { invalidParameter, notFound, payloadTooLarge, toTwilioError } from './errors';
import { logger } from './logger';
import { metrics } from './metrics';

export { logger } from './logger';

/**
 * The Lambda context as our handlers see it: the caller's credentials, an account and its token
 * parsed but not yet checked (`authenticate`), or an API key already verified as its account's;
 * and the operation the request's route key names, found once by the chain.
 */
export interface ApiContext extends Context {
  credentials: Credentials;
  operation?: Operation;
}

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResult = APIGatewayProxyStructuredResultV2;
export type ApiRequest = Request<ApiEvent, ApiResult, Error, ApiContext>;
export type ApiMiddleware = MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext>;

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** What a route takes: its handler and the kind of body it parses, if any. */
export interface Operation {
  handler: (event: ApiEvent, context: ApiContext) => Promise<ApiResult>;
  /** `form`: application/x-www-form-urlencoded; `multipart`: a version upload. */
  body?: 'form' | 'multipart';
}

const MEDIA_TYPES = { form: 'application/x-www-form-urlencoded', multipart: 'multipart/form-data' } as const;

/** Twilio's request id header on every response, and every error turned into a Twilio error body. */
const twilioResponses = (): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  after: (request) => {
    request.response = { ...request.response, headers: { ...request.response?.headers, 'Twilio-Request-Id': request.context.awsRequestId } };
  },
  onError: (request) => {
    const body = request.context.operation?.body;
    const error = toTwilioError(request.error, request.context.awsRequestId, {
      path: request.event.rawPath,
      mediaType: body && MEDIA_TYPES[body],
      limitBytes: body === 'multipart' ? config.maxContentBytes : config.maxBodyBytes,
    });
    if (error.status >= 500) logger.error('request failed', { error: request.error as Error });
    request.response = json(error.status, error, { ...error.headers, 'Twilio-Request-Id': request.context.awsRequestId });
  },
});

/**
 * 401 before anything else when the request carries no well-formed Basic credentials. An API key
 * (`SK…:secret`) is checked here, with one consistent read of its item, since only that item
 * names the account every later read is keyed by.
 */
const requireCredentials = (apiKeys: ApiKeyReader): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  before: async (request) => {
    const login = parseBasicAuth(request.event.headers.authorization);
    request.context.credentials = 'apiKeySid' in login ? verifyApiKey(login, await apiKeys.getApiKey(login.apiKeySid)) : login;
  },
});

/** node:querystring (inside the body parser) stops at 1,000 keys; our largest valid form has 1,052. */
const QUERYSTRING_MAX_KEYS = 1000;
const MAX_FORM_PARAMETERS = 1100;

const decodedBody = (event: ApiEvent): string => (event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? ''));

const countPairs = (form: string): number => (form === '' ? 0 : form.split('&').length);

/**
 * Form bodies: 413 over the size limit, decoded from base64 once, then Middy's parser (415 for
 * other content types); a form longer than the parser's silent 1,000-key cut-off is parsed again
 * in full.
 */
function formBody(): ApiMiddleware {
  const parser = httpUrlencodeBodyParser() as ApiMiddleware;
  return {
    before: async (request: ApiRequest) => {
      if (request.context.operation?.body !== 'form') return;
      const { event } = request;
      const bytes = event.isBase64Encoded ? Math.floor(((event.body ?? '').length * 3) / 4) : Buffer.byteLength(event.body ?? '');
      if (bytes > config.maxBodyBytes) throw payloadTooLarge(config.maxBodyBytes);
      const form = decodedBody(event);
      event.body = form;
      event.isBase64Encoded = false;
      const pairs = countPairs(form);
      if (pairs > MAX_FORM_PARAMETERS) throw invalidParameter(`Too many parameters: ${pairs}, at most ${MAX_FORM_PARAMETERS} are accepted`);
      await parser.before?.(request);
      if (pairs > QUERYSTRING_MAX_KEYS) (event as { body: unknown }).body = parseForm(form, '&', '=', { maxKeys: MAX_FORM_PARAMETERS });
    },
  };
}

const corsHeaders = () =>
  httpCors({
    origins: config.corsAllowedOrigins,
    credentials: !config.corsAllowedOrigins.includes('*'),
    methods: 'GET, POST, DELETE, OPTIONS',
    headers: 'Authorization, Content-Type, Idempotency-Key',
    exposeHeaders: 'Twilio-Request-Id, Retry-After, Idempotent-Replayed',
    vary: 'Origin',
  }) as MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext>;

/**
 * The one Middy chain of every function: logging context, metrics (flushed after the response,
 * errors included, since its `after` and `onError` run last), CORS, Twilio-shaped errors, then the
 * operation for this request (by its route key), credentials, the operation's body parsing, and
 * the operation's handler last.
 */
function chain(resolve: (event: ApiEvent) => Operation | undefined, credentials: ApiMiddleware | undefined, multipart?: ApiMiddleware) {
  const route = middy<ApiEvent, ApiResult, Error, ApiContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(corsHeaders())
    .use(twilioResponses())
    .use({
      before: (request: ApiRequest) => {
        request.context.operation = resolve(request.event);
      },
    });
  if (credentials) route.use(credentials);
  route.use(formBody());
  if (multipart) route.use(multipart);
  return route.handler((event, context) => {
    if (!context.operation) throw notFound(event.rawPath);
    return context.operation.handler(event, context);
  });
}

export interface RouteOptions {
  /** The route takes an `application/x-www-form-urlencoded` body. */
  form?: boolean;
}

/**
 * One route's function: the one chain around one handler. `apiKeys` is where API keys are
 * looked up (the accounts store): every authenticated route takes them.
 */
export function httpRoute(apiKeys: ApiKeyReader, handler: Operation['handler'], options: RouteOptions = {}) {
  const operation: Operation = { handler, ...(options.form ? { body: 'form' as const } : {}) };
  return chain(() => operation, requireCredentials(apiKeys));
}

/** A function served without credentials (the fallback answering 404/405/OPTIONS): it reads nothing. */
export function anonymousRoute(handler: Operation['handler']) {
  const operation: Operation = { handler };
  return chain(() => operation, undefined);
}

/**
 * A function serving several routes (a resource family): the one chain, and the operation of
 * each request found by its API Gateway route key in the route table. Operations with multipart
 * bodies need the multipart parser (lambda/http/multipart.ts), passed in by the one function
 * that takes uploads, so that no other function bundles it. `apiKeys` as for `httpRoute`.
 */
export function httpRoutes(apiKeys: ApiKeyReader, operations: Partial<Record<RouteId, Operation>>, parsers: { multipart?: ApiMiddleware } = {}) {
  const byRouteKey = new Map<string, Operation>();
  for (const route of ROUTES) {
    const operation = operations[route.id];
    if (!operation) continue;
    if (operation.body === 'multipart' && !parsers.multipart) throw new Error(`${route.id} takes a multipart body: pass the multipart parser`);
    byRouteKey.set(routeKeyOf(route), operation);
  }
  return chain((event) => byRouteKey.get(event.routeKey), requireCredentials(apiKeys), parsers.multipart);
}
