import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type LambdaHttpHandler, lambdaContext, toApiGatewayEvent } from '../../local/http-adapter';
import { countDynamoDbRequests } from './count';
import { AUTHORIZATION, BUILDS_PATH, CREATE_FORM } from './seed';

/** The host API Gateway would put in the event (responses derive their URLs from it). */
const HOST = 'abcdef1234.execute-api.us-east-1.amazonaws.com';

/**
 * The API Gateway v2 event of a request, built by the local adapter's own `toApiGatewayEvent` from
 * a stand-in for the incoming request. A string body is a form; a Buffer goes with `contentType`.
 */
export function apiEvent(method: string, path: string, body?: string | Buffer, contentType = 'application/x-www-form-urlencoded'): APIGatewayProxyEventV2 {
  const buffer = typeof body === 'string' || body === undefined ? Buffer.from(body ?? '', 'utf8') : body;
  const headers: Record<string, string> = {
    host: HOST,
    'user-agent': 'twilio-node/5.3.0 (linux arm64) node/v24',
    accept: 'application/json',
    authorization: AUTHORIZATION,
    ...(body === undefined ? {} : { 'content-type': contentType, 'content-length': String(buffer.length) }),
  };
  const request = { url: path, method, headers, httpVersion: '1.1', socket: { remoteAddress: '203.0.113.10' } } as unknown as IncomingMessage;
  const event = toApiGatewayEvent(request, buffer);
  event.headers['x-forwarded-proto'] = 'https';
  return event;
}

/**
 * The create and Status handlers as the local stack imported them (same module URLs, so the same
 * instances, configured by its environment), and a request counter, idle, on their DynamoDB client.
 */
export async function inProcessHandlers() {
  const createHandler = (await import('../../lambda/handlers/create-build')).handler as unknown as LambdaHttpHandler;
  const statusHandler = (await import('../../lambda/handlers/fetch-build-status')).handler as unknown as LambdaHttpHandler;
  const { dynamoDb, DYNAMODB_CLIENT_OPTIONS } = await import('../../lambda/store/client');
  const counter = countDynamoDbRequests(dynamoDb);
  counter.enabled = false;
  return { createHandler, statusHandler, counter, DYNAMODB_CLIENT_OPTIONS };
}

/** Invokes a handler in this process as Lambda would; its response and the time it took (ms). */
export async function invoke(handler: LambdaHttpHandler, functionName: string, event: APIGatewayProxyEventV2) {
  const context = lambdaContext(functionName, event.requestContext.requestId);
  const started = performance.now();
  const response = await handler(event, context);
  return { ms: performance.now() - started, response };
}

/** The create handler invoked with the create form: the new build's SID and the handler's time (ms); throws unless 201. */
export async function createInProcess(createHandler: LambdaHttpHandler) {
  const { ms, response } = await invoke(createHandler, 'create-build', apiEvent('POST', BUILDS_PATH, CREATE_FORM));
  if (response.statusCode !== 201) throw new Error(`create answered ${response.statusCode}: ${response.body}`);
  return { ms, sid: (JSON.parse(response.body ?? '{}') as { sid: string }).sid };
}

/** A create over HTTP as a deploy tool sends it: the new build's SID and when its 201 arrived (`performance.now()`); throws unless 201. */
export async function createOverHttp(baseUrl: string) {
  const headers = { Authorization: AUTHORIZATION, 'Content-Type': 'application/x-www-form-urlencoded' };
  const response = await fetch(`${baseUrl}${BUILDS_PATH}`, { method: 'POST', headers, body: CREATE_FORM });
  const at = performance.now();
  if (response.status !== 201) throw new Error(`create answered ${response.status}: ${await response.text()}`);
  return { sid: ((await response.json()) as { sid: string }).sid, at };
}
