import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { payloadTooLarge } from '../lambda/http/errors';
import { FALLBACK_ENTRY, matchRoute, ROUTES, routeKeyOf } from '../lambda/routes';

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway HTTP APIs refuse payloads over 10 MB before any function runs. */
const API_GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024;

/** A Lambda context like the one AWS passes, for a function of the given name. */
export function lambdaContext(functionName: string, requestId: string = randomUUID()): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestContext.time`: `27/Nov/2026:20:00:00 +0000`. */
export function apiGatewayTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/**
 * The API Gateway HTTP API (payload 2.0) event for a request, as API Gateway builds it: lowercase
 * headers, repeated query values joined by commas, the body base64-encoded.
 */
export function toApiGatewayEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  // Split by hand: `new URL` would read a path such as `//x` as a host.
  const target = request.url ?? '/';
  const queryStart = target.indexOf('?');
  const rawPath = queryStart < 0 ? target : target.slice(0, queryStart);
  const rawQueryString = queryStart < 0 ? '' : target.slice(queryStart + 1);
  const method = (request.method ?? 'GET').toUpperCase();
  const match = matchRoute(method, rawPath);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  headers['x-forwarded-proto'] = 'http';
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const routeKey = match.route ? routeKeyOf(match.route) : '$default';
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    // As API Gateway: no pathParameters on a route that has none.
    ...(match.route && Object.keys(match.pathParameters).length > 0 ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0,
  };
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > API_GATEWAY_PAYLOAD_LIMIT) {
        resolve(undefined);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const body = result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
  response.end(body);
}

/** The function behind each route key, as the stack wires them; `$default` is the fallback's. */
const ENTRY_OF_ROUTE_KEY = new Map<string, string>(ROUTES.map((route) => [routeKeyOf(route), route.entry]));

/**
 * An HTTP server that does what API Gateway does: matches the route, turns the request into a
 * v2 event, invokes the function of that route (or the fallback) and writes its response.
 */
export function createApiServer(handlers: Record<string, LambdaHttpHandler>): Server {
  return createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      if (body === undefined) {
        const error = payloadTooLarge(API_GATEWAY_PAYLOAD_LIMIT);
        send(response, { statusCode: error.status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(error) });
        return;
      }
      const event = toApiGatewayEvent(request, body);
      const entry = ENTRY_OF_ROUTE_KEY.get(event.routeKey) ?? FALLBACK_ENTRY;
      const handler = handlers[entry];
      if (!handler) throw new Error(`No handler for ${entry}`);
      send(response, await handler(event, lambdaContext(entry, event.requestContext.requestId)));
    } catch (error) {
      // What API Gateway answers when the integration itself fails.
      console.error(JSON.stringify({ level: 'ERROR', message: 'integration failed', error: String(error) }));
      send(response, { statusCode: 500, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: 'Internal Server Error' }) });
    }
  });
}
