import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toApiGatewayEvent } from '../../local/http-adapter';
import { AUTHORIZATION } from './seed';

/** The host API Gateway would put in the event (responses derive their URLs from it). */
const HOST = 'abcdef1234.execute-api.us-east-1.amazonaws.com';

/**
 * The API Gateway v2 event of a request, built by the local adapter's own `toApiGatewayEvent`
 * from a stand-in for the incoming request (what API Gateway does before invoking the function).
 * A string body is a form; a Buffer body goes with the content type given (a multipart upload).
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
