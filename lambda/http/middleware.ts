import { parse as parseForm } from 'node:querystring';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { config } from '../config';
import { type Credentials, parseBasicAuth } from './auth';
import { invalidParameter, payloadTooLarge, toTwilioError } from './errors';

/** Structured JSON logs with the request id. Never given headers, bodies or tokens. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'twilio-serverless-builds' });

/** The Lambda context as our handlers see it: the caller's credentials, parsed but not yet checked. */
export interface ApiContext extends Context {
  credentials: Credentials;
}

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResult = APIGatewayProxyStructuredResultV2;
type ApiRequest = Request<ApiEvent, ApiResult, Error, ApiContext>;

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** Twilio's request id header on every response, and every error turned into a Twilio error body. */
const twilioResponses = (): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  after: (request) => {
    request.response = { ...request.response, headers: { ...request.response?.headers, 'Twilio-Request-Id': request.context.awsRequestId } };
  },
  onError: (request) => {
    const error = toTwilioError(request.error, request.context.awsRequestId);
    if (error.status >= 500) logger.error('request failed', { error: request.error as Error });
    request.response = json(error.status, error, { ...error.headers, 'Twilio-Request-Id': request.context.awsRequestId });
  },
});

/** 401 before anything else when the request carries no well-formed Basic credentials. */
const requireCredentials = (): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  before: (request) => {
    request.context.credentials = parseBasicAuth(request.event.headers.authorization);
  },
});

/** node:querystring (inside the body parser) stops at 1,000 keys; our largest valid form has 1,052. */
const QUERYSTRING_MAX_KEYS = 1000;
const MAX_FORM_PARAMETERS = 1100;

const decodedBody = (event: ApiEvent): string => (event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? ''));

interface FormInternal {
  longForm?: string;
}

const countPairs = (form: string): number => (form === '' ? 0 : form.split('&').length);

/**
 * Form bodies: 413 over the size limit, then Middy's parser (415 for other content types), then
 * a complete re-parse of the rare forms longer than the parser's silent 1,000-key cut-off.
 */
function formBody(): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext>[] {
  return [
    {
      before: (request: ApiRequest) => {
        const bytes = request.event.isBase64Encoded ? Math.floor(((request.event.body ?? '').length * 3) / 4) : Buffer.byteLength(request.event.body ?? '');
        if (bytes > config.maxBodyBytes) throw payloadTooLarge(config.maxBodyBytes);
        const form = decodedBody(request.event);
        // Decoded once, here: the parser then reads the plain text.
        request.event.body = form;
        request.event.isBase64Encoded = false;
        const pairs = countPairs(form);
        if (pairs > MAX_FORM_PARAMETERS) throw invalidParameter(`Too many parameters: ${pairs}, at most ${MAX_FORM_PARAMETERS} are accepted`);
        if (pairs > QUERYSTRING_MAX_KEYS) (request.internal as FormInternal).longForm = form;
      },
    },
    httpUrlencodeBodyParser() as MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext>,
    {
      before: (request: ApiRequest) => {
        const { longForm } = request.internal as FormInternal;
        if (longForm === undefined) return;
        (request.event as { body: unknown }).body = parseForm(longForm, '&', '=', { maxKeys: MAX_FORM_PARAMETERS });
      },
    },
  ];
}

export interface RouteOptions {
  /** The route takes an `application/x-www-form-urlencoded` body. */
  form?: boolean;
  /** The route is served without credentials (the fallback answering 404/405/OPTIONS). */
  anonymous?: boolean;
}

/**
 * The one Middy chain of every route: logging context, CORS, Twilio-shaped errors, credentials,
 * then (for form routes) body limits and parsing; the route's handler last.
 */
export function httpRoute(handler: (event: ApiEvent, context: ApiContext) => Promise<ApiResult>, options: RouteOptions = {}) {
  const chain = middy<ApiEvent, ApiResult, Error, ApiContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(
      httpCors({
        origins: config.corsAllowedOrigins,
        credentials: !config.corsAllowedOrigins.includes('*'),
        methods: 'GET, POST, DELETE, OPTIONS',
        headers: 'Authorization, Content-Type, Idempotency-Key',
        exposeHeaders: 'Twilio-Request-Id, Retry-After, Idempotent-Replayed',
        vary: 'Origin',
      }) as MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext>,
    )
    .use(twilioResponses());
  if (!options.anonymous) chain.use(requireCredentials());
  if (options.form) chain.use(formBody());
  return chain.handler(handler);
}
