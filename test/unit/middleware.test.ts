import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { config } from '../../lambda/config';
import { type ApiContext, httpRoute, json } from '../../lambda/http/middleware';
import { lambdaContext } from '../../local/http-adapter';

const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const AUTH = `Basic ${Buffer.from(`${ACCOUNT_SID}:token`).toString('base64')}`;

/** No API keys: these tests send an account's token. */
const noApiKeys = { getApiKey: async () => undefined };

/** A form route that echoes what the chain handed it. */
const echoForm = httpRoute(noApiKeys, async (event, context) => json(200, { body: event.body, account: context.credentials.accountSid }), { form: true });
const failing = httpRoute(noApiKeys, async () => {
  throw new Error('connect ECONNREFUSED 10.1.2.3:8000 (table builds-prod)');
});

function event(body: string, options: { base64?: boolean; headers?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /x',
    rawPath: '/x',
    rawQueryString: '',
    headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
    requestContext: { domainName: 'h', http: { method: 'POST', path: '/x' }, requestId: 'r' },
  } as unknown as APIGatewayProxyEventV2;
}

async function invoke(handler: typeof echoForm, input: APIGatewayProxyEventV2) {
  const result = await handler(input, lambdaContext('test', 'request-1') as ApiContext);
  return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
}

describe('the Middy chain', () => {
  it('parses a plain form body, repeated keys as arrays', async () => {
    const result = await invoke(echoForm, event('A=1&A=2&B=x%20y'));
    expect(result.statusCode).toBe(200);
    expect(result.json).toEqual({ body: { A: ['1', '2'], B: 'x y' }, account: ACCOUNT_SID });
  });

  it('parses a base64-encoded body, as API Gateway HTTP APIs deliver forms', async () => {
    const result = await invoke(echoForm, event('A=1&B=2', { base64: true }));
    expect(result.json.body).toEqual({ A: '1', B: '2' });
  });

  it("keeps every key of a form longer than node:querystring's 1,000-key default", async () => {
    const form = Array.from({ length: 1052 }, (_, i) => `AssetVersions=${i}`).join('&');
    const result = await invoke(echoForm, event(form, { base64: true }));
    expect(result.json.body.AssetVersions).toHaveLength(1052);
  });

  it('refuses forms with more parameters than any valid build needs', async () => {
    const form = Array.from({ length: 1101 }, (_, i) => `k${i}=1`).join('&');
    const result = await invoke(echoForm, event(form));
    expect(result.statusCode).toBe(400);
    expect(result.json).toMatchObject({ code: 20001, message: expect.stringMatching(/Too many parameters/) });
  });

  it('answers 413 to a body over the size limit', async () => {
    const result = await invoke(echoForm, event(`A=${'x'.repeat(config.maxBodyBytes)}`, { base64: true }));
    expect(result.statusCode).toBe(413);
    expect(result.json).toMatchObject({ status: 413, more_info: expect.stringMatching(/^https:\/\/www\.twilio\.com\/docs\/errors\//) });
  });

  it.each([['application/json'], ['text/plain'], ['']])('answers 415 to Content-Type %j, Twilio-shaped', async (contentType) => {
    const result = await invoke(echoForm, event('{"A":1}', { headers: { 'content-type': contentType } }));
    expect(result.statusCode).toBe(415);
    expect(Object.keys(result.json).sort()).toEqual(['code', 'message', 'more_info', 'status']);
  });

  it('answers 401 before looking at the body', async () => {
    const result = await invoke(echoForm, event('{}', { headers: { authorization: '', 'content-type': 'application/json' } }));
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['WWW-Authenticate']).toBe('Basic realm="Twilio API"');
  });

  it('turns an unexpected failure into a generic 500 with the request id, and no internals', async () => {
    const result = await invoke(failing, event(''));
    expect(result.statusCode).toBe(500);
    expect(result.json).toEqual({
      code: 20500,
      message: 'An internal server error has occurred (request id request-1)',
      more_info: 'https://www.twilio.com/docs/errors/20500',
      status: 500,
    });
    expect(result.body).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|builds-prod|at /);
  });

  it('puts CORS and the request id on successes and errors alike', async () => {
    for (const result of [
      await invoke(echoForm, event('A=1')),
      await invoke(failing, event('')),
      await invoke(echoForm, event('', { headers: { authorization: '' } })),
    ]) {
      expect(result.headers).toMatchObject({
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': expect.stringContaining('Authorization'),
        'Access-Control-Expose-Headers': expect.stringContaining('Twilio-Request-Id'),
        'Twilio-Request-Id': 'request-1',
      });
    }
  });
});
