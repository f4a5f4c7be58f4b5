import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { hashSecret, newApiKeySecretHash, newTokenHash } from '../../lambda/domain/credentials';
import { buildPath, pathSid } from '../../lambda/http/access';
import { authenticate, parseBasicAuth, verifyApiKey } from '../../lambda/http/auth';
import { authenticationRequired, internalError, TwilioError, toTwilioError } from '../../lambda/http/errors';
import type { ApiEvent } from '../../lambda/http/middleware';
import { baseUrlOf, pageUrl, paths } from '../../lambda/http/urls';
import { matchRoute } from '../../lambda/routes';

const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const API_KEY_SID = `SK${'2'.repeat(32)}`;
const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

describe('Basic credentials', () => {
  it('are read from the Authorization header', () => {
    expect(parseBasicAuth(basic(`${ACCOUNT_SID}:tok:en`))).toEqual({ accountSid: ACCOUNT_SID, authToken: 'tok:en' });
  });

  it('read an API key SID as a key login, naming no account', () => {
    expect(parseBasicAuth(basic(`${API_KEY_SID}:sec:ret`))).toEqual({ apiKeySid: API_KEY_SID, apiKeySecret: 'sec:ret' });
  });

  it.each([
    ['missing', undefined],
    ['another scheme', `Bearer ${ACCOUNT_SID}`],
    ['not base64', 'Basic !!!'],
    ['no colon', basic(ACCOUNT_SID)],
    ['an empty token', basic(`${ACCOUNT_SID}:`)],
    ['not an account SID', basic('admin:secret')],
    ['an API key with an empty secret', basic(`SK${'2'.repeat(32)}:`)],
    ['a malformed API key SID', basic(`SK${'2'.repeat(31)}:secret`)],
  ])('are a 401 when %s', (_, header) => {
    expect(() => parseBasicAuth(header)).toThrow(expect.objectContaining({ status: 401, code: 20003 }));
  });

  it('401 carries WWW-Authenticate', () => {
    expect(authenticationRequired().headers).toEqual({ 'WWW-Authenticate': 'Basic realm="Twilio API"' });
  });
});

describe('auth token hashes', () => {
  const stored = { sid: ACCOUNT_SID, ...newTokenHash('secret-token-000000') };

  it('never contain the token', () => {
    expect(JSON.stringify(stored)).not.toContain('secret-token');
  });

  it('are salted: the same token hashes differently under two salts', () => {
    expect(newTokenHash('t').auth_token_hash).not.toBe(newTokenHash('t').auth_token_hash);
    expect(hashSecret('t', stored.auth_token_salt)).toBe(hashSecret('t', stored.auth_token_salt));
  });

  it('accept the right token', () => {
    expect(() => authenticate({ accountSid: ACCOUNT_SID, authToken: 'secret-token-000000' }, stored)).not.toThrow();
  });

  it('refuse a wrong token and an unknown account with a 401', () => {
    expect(() => authenticate({ accountSid: ACCOUNT_SID, authToken: 'secret-token-000001' }, stored)).toThrow(TwilioError);
    expect(() => authenticate({ accountSid: ACCOUNT_SID, authToken: 'x' }, undefined)).toThrow(expect.objectContaining({ status: 401 }));
  });
});

describe('API keys', () => {
  const key = {
    sid: API_KEY_SID,
    account_sid: ACCOUNT_SID,
    friendly_name: 'ci',
    date_created: '2026-01-01T00:00:00.000Z',
    ...newApiKeySecretHash('key-secret-0000'),
  };
  const account = { sid: ACCOUNT_SID, ...newTokenHash('secret-token-000000') };

  it('stand for their account once the secret matches, and then authenticate as it', () => {
    const credentials = verifyApiKey({ apiKeySid: API_KEY_SID, apiKeySecret: 'key-secret-0000' }, key);
    expect(credentials).toEqual({ accountSid: ACCOUNT_SID, apiKeySid: API_KEY_SID });
    expect(() => authenticate(credentials, account)).not.toThrow();
  });

  it('refuse a wrong secret, a missing (revoked) key, and a key of another account than the one loaded', () => {
    expect(() => verifyApiKey({ apiKeySid: API_KEY_SID, apiKeySecret: 'key-secret-0001' }, key)).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => verifyApiKey({ apiKeySid: API_KEY_SID, apiKeySecret: 'key-secret-0000' }, undefined)).toThrow(expect.objectContaining({ status: 401 }));
    const other = { sid: `AC${'3'.repeat(32)}`, ...newTokenHash('secret-token-000000') };
    expect(() => authenticate({ accountSid: ACCOUNT_SID, apiKeySid: API_KEY_SID }, other)).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => authenticate({ accountSid: ACCOUNT_SID, apiKeySid: API_KEY_SID }, undefined)).toThrow(expect.objectContaining({ status: 401 }));
  });

  it('never store the secret', () => {
    expect(JSON.stringify(key)).not.toContain('key-secret');
  });
});

describe('error mapping', () => {
  it('keeps Twilio errors as they are', () => {
    const error = authenticationRequired();
    expect(toTwilioError(error, 'r')).toBe(error);
  });

  it("maps the body parser's 415", () => {
    expect(toTwilioError(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), 'r').toJSON()).toMatchObject({ status: 415 });
  });

  it('turns anything else into a generic 500 with the request id and no internals', () => {
    const body = toTwilioError(new Error('ECONNREFUSED 10.0.0.1 table secret-table'), 'req-123').toJSON();
    expect(body).toEqual(internalError('req-123').toJSON());
    expect(body).toMatchObject({ code: 20500, status: 500 });
    expect(body.message).toContain('req-123');
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|secret-table/);
  });

  it.each([
    ['a throttled DynamoDB call', Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' })],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' })],
    ['an AWS 5xx', Object.assign(new Error('boom'), { $metadata: { httpStatusCode: 503 } })],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
  ])('turns %s into 503 / 20503 with Retry-After', (_, error) => {
    const mapped = toTwilioError(error, 'r');
    expect(mapped.toJSON()).toMatchObject({ status: 503, code: 20503 });
    expect(mapped.headers['Retry-After']).toBe('2');
    expect(mapped.message).not.toMatch(/ECONNREFUSED|8000/);
  });

  it('does not treat a client error such as a missing table as transient', () => {
    expect(toTwilioError(Object.assign(new Error('no table'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } }), 'r').status).toBe(
      500,
    );
  });

  it('never has type or title keys', () => {
    expect(Object.keys(authenticationRequired().toJSON()).sort()).toEqual(['code', 'message', 'more_info', 'status']);
  });
});

describe('routes', () => {
  const service = `ZS${'0'.repeat(32)}`;
  const build = `ZB${'0'.repeat(32)}`;

  it.each([
    ['POST', `/v1/Services/${service}/Builds`, 'CreateBuild'],
    ['GET', `/v1/Services/${service}/Builds`, 'ListBuild'],
    ['GET', `/v1/Services/${service}/Builds/${build}`, 'FetchBuild'],
    ['DELETE', `/v1/Services/${service}/Builds/${build}`, 'DeleteBuild'],
    ['GET', `/v1/Services/${service}/Builds/${build}/Status`, 'FetchBuildStatus'],
  ])('%s %s is %s', (method, path, id) => {
    expect(matchRoute(method, path).route?.id).toBe(id);
  });

  it('extracts path parameters', () => {
    expect(matchRoute('GET', `/v1/Services/${service}/Builds/${build}`).pathParameters).toEqual({ ServiceSid: service, Sid: build });
  });

  it('knows the allowed methods of a path with another method (405)', () => {
    expect(matchRoute('PUT', `/v1/Services/${service}/Builds`)).toMatchObject({ route: undefined, allowedMethods: ['POST', 'GET'] });
  });

  it('knows nothing of unknown paths (404)', () => {
    expect(matchRoute('GET', '/v1/Servicez').allowedMethods).toEqual([]);
    expect(matchRoute('GET', `/v1/Services/${service}/Builds/${build}/Status/x`).allowedMethods).toEqual([]);
  });
});

describe('path SIDs', () => {
  const service = `ZS${'0'.repeat(32)}`;
  const build = `ZB${'0'.repeat(32)}`;
  const eventWith = (pathParameters: Record<string, string>) => ({ pathParameters, rawPath: '/v1/Services/x' }) as unknown as ApiEvent;

  it("are taken when they have their kind's form", () => {
    expect(pathSid(eventWith({ ServiceSid: service }), 'ServiceSid')).toBe(service);
    expect(buildPath(eventWith({ ServiceSid: service, Sid: build }))).toEqual({ serviceSid: service, buildSid: build });
  });

  // Never a key or an S3 object key made of a caller's text: a malformed SID names nothing (404).
  it.each([
    ['a short Service SID', { ServiceSid: 'ZS123' }],
    ['a Service SID of 2,000 characters', { ServiceSid: `ZS${'0'.repeat(2000)}` }],
    ['a Build SID as the service', { ServiceSid: build }],
    ['a Service SID as the build', { ServiceSid: service, Sid: service }],
    ['a malformed Build SID', { ServiceSid: service, Sid: 'ZB../../x' }],
  ])('are a 404 when malformed: %s', (_, pathParameters) => {
    expect(() => buildPath(eventWith(pathParameters))).toThrow(expect.objectContaining({ status: 404, code: 20404 }));
  });
});

describe('URLs', () => {
  const event = (headers: Record<string, string>, domainName: string) => ({ headers, requestContext: { domainName } }) as unknown as APIGatewayProxyEventV2;

  it('use the configured public base URL whatever the request says', () => {
    expect(baseUrlOf(event({ 'x-forwarded-proto': 'http' }, 'evil.example'), 'https://api.example.com')).toBe('https://api.example.com');
  });

  it('else derive from the request', () => {
    expect(baseUrlOf(event({ 'x-forwarded-proto': 'http' }, '127.0.0.1:3000'), undefined)).toBe('http://127.0.0.1:3000');
    expect(baseUrlOf(event({}, 'abc.execute-api.us-east-1.amazonaws.com'), undefined)).toBe('https://abc.execute-api.us-east-1.amazonaws.com');
  });

  it('put paging parameters in the query', () => {
    expect(pageUrl('http://h', paths.builds('ZS1'), { pageSize: 3, page: 2, pageToken: 'PAZB1' })).toBe(
      'http://h/v1/Services/ZS1/Builds?PageSize=3&Page=2&PageToken=PAZB1',
    );
  });
});
