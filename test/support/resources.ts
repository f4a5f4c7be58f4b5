import { GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth } from './fixtures';

/** Helpers for the Services, Functions, Assets and Versions routes, and for looking behind them. */

export type Account = { sid: string; auth_token: string };

const s3Clients = new WeakMap<LocalStack, S3Client>();

/** An S3 client on the stack's S3 server (path-style, as the handlers use it). */
export function s3Of(stack: LocalStack): S3Client {
  let client = s3Clients.get(stack);
  if (!client) {
    client = new S3Client({
      endpoint: stack.s3Endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    s3Clients.set(stack, client);
  }
  return client;
}

/** Every item of the stack's table (a Scan: tests only). */
export async function scanAll(stack: LocalStack): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await stack.documentClient.send(new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** The keys of every object in the stack's content bucket (under `prefix`). */
export async function objectKeys(stack: LocalStack, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3Of(stack).send(new ListObjectsV2Command({ Bucket: stack.contentBucket, Prefix: prefix, ContinuationToken }));
    found.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);
  return found.sort();
}

/** An object's bytes and content type, straight from the S3 server. */
export async function getObject(stack: LocalStack, key: string): Promise<{ bytes: Buffer; contentType: string | undefined }> {
  const result = await s3Of(stack).send(new GetObjectCommand({ Bucket: stack.contentBucket, Key: key }));
  return { bytes: Buffer.from(await result.Body!.transformToByteArray()), contentType: result.ContentType };
}

/** An object's tags. */
export async function objectTags(stack: LocalStack, key: string): Promise<Record<string, string>> {
  const result = await s3Of(stack).send(new GetObjectTaggingCommand({ Bucket: stack.contentBucket, Key: key }));
  return Object.fromEntries((result.TagSet ?? []).map((tag) => [tag.Key, tag.Value]));
}

const itemId = (item: Record<string, unknown>) => `${item.PK}|${item.SK}`;

/** What is stored: every item (by key, with its content) and every object key. */
export interface Snapshot {
  items: Map<string, string>;
  objects: string[];
}

/** True while the stack's workflow runner has an execution that has not ended. */
const workflowRunning = (stack: LocalStack): boolean =>
  [...(stack.stepFunctions?.executions.values() ?? [])].some((execution) => execution.status === 'RUNNING');

/**
 * Every item, once no build is `building` and the workflow runner has no execution left (a
 * workflow's last step, the service's last completed runtime, comes after the build's status):
 * the workflow then writes nothing more on its own. Only the workflow writes on its own, and only
 * for a build that is `building` (an execution starts from a new build's stream record), so a
 * table with neither is settled as it is: no wait for the stream poller's next pass.
 */
export async function settledItems(stack: LocalStack, limitMs = 15_000): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const items = await scanAll(stack);
    const building = items.filter((item) => String(item.SK).startsWith('BUILD#') && item.status === 'building');
    if (building.length === 0 && !workflowRunning(stack)) return items;
    if (Date.now() > deadline) throw new Error(`${building.length} builds still building`);
    await stack.stepFunctions?.drain();
  }
}

/** Everything stored in DynamoDB and S3, once the workflow has nothing left to write. */
export async function snapshot(stack: LocalStack): Promise<Snapshot> {
  const [items, objects] = await Promise.all([settledItems(stack), objectKeys(stack)]);
  return { items: new Map(items.map((item) => [itemId(item), JSON.stringify(item, Object.keys(item).sort())])), objects };
}

/** Asserts that nothing was written, changed or deleted between two snapshots (counts first, for a readable failure). */
export function expectSameStore(before: Snapshot, after: Snapshot): void {
  expect(after.items.size, 'DynamoDB item count').toBe(before.items.size);
  expect(after.objects.length, 'S3 object count').toBe(before.objects.length);
  expect([...after.items.keys()].sort()).toEqual([...before.items.keys()].sort());
  expect(after.objects).toEqual(before.objects);
  for (const [key, value] of before.items) expect(after.items.get(key), key).toBe(value);
}

/** Runs `act` and asserts it left DynamoDB and S3 exactly as they were. */
export async function expectNothingWritten<T>(stack: LocalStack, act: () => Promise<T>): Promise<T> {
  const before = await snapshot(stack);
  const result = await act();
  expectSameStore(before, await snapshot(stack));
  return result;
}

/**
 * `expectNothingWritten` around a request to a route that could write (POST, DELETE); a GET has
 * no write to make (its handlers only read), so `act` alone runs, without the two snapshots.
 */
export const expectRouteWritesNothing = <T>(stack: LocalStack, route: { method: string }, act: () => Promise<T>): Promise<T> =>
  route.method === 'GET' ? act() : expectNothingWritten(stack, act);

const TWILIO_ERROR_KEYS = ['code', 'message', 'more_info', 'status'];

/** Asserts a Twilio-shaped error response; its body. */
export async function expectTwilioError(
  response: Response,
  status: number,
  code: number,
  message?: RegExp,
): Promise<{ code: number; message: string; status: number }> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const body = JSON.parse(text);
  expect(Object.keys(body).sort()).toEqual(TWILIO_ERROR_KEYS);
  expect(body).toMatchObject({ code, status, more_info: `https://www.twilio.com/docs/errors/${code}` });
  if (message) expect(body.message).toMatch(message);
  return body;
}

/** A request to the stack as an account (default ACCOUNT); a form when `form` is given. */
export function call(
  stack: LocalStack,
  method: string,
  path: string,
  options: { account?: Account | null; form?: Record<string, string>; headers?: Record<string, string>; body?: RequestInit['body'] } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.account !== null) headers.Authorization = basicAuth(options.account ?? ACCOUNT);
  let body = options.body;
  if (options.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  return fetch(`${stack.baseUrl}${path}`, { method, headers: { ...headers, ...options.headers }, body });
}

/** Parses a JSON response after asserting its status. */
export async function expectJson<T = Record<string, unknown>>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

export interface Created {
  sid: string;
  [key: string]: unknown;
}

/** Creates a service over HTTP; its JSON. */
export async function createService(stack: LocalStack, uniqueName: string, account: Account = ACCOUNT): Promise<Created> {
  return expectJson<Created>(await call(stack, 'POST', '/v1/Services', { account, form: { UniqueName: uniqueName, FriendlyName: `The ${uniqueName}` } }), 201);
}

/** Creates a function or an asset over HTTP; its JSON. */
export async function createDeployable(
  stack: LocalStack,
  family: 'Functions' | 'Assets',
  serviceSid: string,
  friendlyName: string,
  account: Account = ACCOUNT,
): Promise<Created> {
  return expectJson<Created>(await call(stack, 'POST', `/v1/Services/${serviceSid}/${family}`, { account, form: { FriendlyName: friendlyName } }), 201);
}

export interface UploadFields {
  Path?: string;
  Visibility?: string;
  /** A file part (a string is sent as its UTF-8 bytes); `contentField` sends it as a plain field instead. */
  Content?: string | Uint8Array;
  contentType?: string;
  filename?: string;
  contentField?: boolean;
}

/** The multipart body of an upload, built by the platform's FormData (as a client would). */
export function uploadForm(fields: UploadFields): FormData {
  const form = new FormData();
  if (fields.Path !== undefined) form.append('Path', fields.Path);
  if (fields.Visibility !== undefined) form.append('Visibility', fields.Visibility);
  if (fields.Content !== undefined) {
    if (fields.contentField && typeof fields.Content === 'string') form.append('Content', fields.Content);
    else {
      const bytes = typeof fields.Content === 'string' ? Buffer.from(fields.Content, 'utf8') : fields.Content;
      form.append('Content', new Blob([new Uint8Array(bytes)], { type: fields.contentType ?? 'application/javascript' }), fields.filename ?? 'content');
    }
  }
  return form;
}

/** POSTs a version upload (multipart) to …/Functions/{sid}/Versions or …/Assets/{sid}/Versions. */
export function upload(
  stack: LocalStack,
  family: 'Functions' | 'Assets',
  serviceSid: string,
  parentSid: string,
  fields: UploadFields,
  account: Account | null = ACCOUNT,
): Promise<Response> {
  return call(stack, 'POST', `/v1/Services/${serviceSid}/${family}/${parentSid}/Versions`, { account, body: uploadForm(fields) });
}

/** Uploads a version and returns its JSON (asserting 201). */
export async function uploadVersion(
  stack: LocalStack,
  family: 'Functions' | 'Assets',
  serviceSid: string,
  parentSid: string,
  fields: UploadFields,
  account: Account = ACCOUNT,
): Promise<Created> {
  return expectJson<Created>(await upload(stack, family, serviceSid, parentSid, fields, account), 201);
}

/** Polls a build's Status until it is no longer `building`; the final status. */
export async function waitForBuild(stack: LocalStack, serviceSid: string, buildSid: string, account: Account = ACCOUNT, limitMs = 20_000): Promise<string> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const { status } = await expectJson<{ status: string }>(await call(stack, 'GET', `/v1/Services/${serviceSid}/Builds/${buildSid}/Status`, { account }), 200);
    if (status !== 'building') return status;
    if (Date.now() > deadline) throw new Error(`build ${buildSid} still building after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One item of the stack's table by its key, read consistently (undefined when there is none). */
export async function getItem(stack: LocalStack, PK: string, SK: string): Promise<Record<string, unknown> | undefined> {
  const result = await stack.documentClient.send(new GetCommand({ TableName: stack.tableName, Key: { PK, SK }, ConsistentRead: true }));
  return result.Item;
}

/** A build's item, straight from the table (`deployed_to` reads as a Set). */
export const buildItem = (stack: LocalStack, serviceSid: string, buildSid: string): Promise<Record<string, unknown> | undefined> =>
  getItem(stack, `SERVICE#${serviceSid}`, `BUILD#${buildSid}`);

/** The API path of a service's environments, or of one environment and what is under it. */
export const environmentsPath = (serviceSid: string, environmentSid?: string, suffix = ''): string =>
  `/v1/Services/${serviceSid}/Environments${environmentSid ? `/${environmentSid}` : ''}${suffix}`;

/** Creates an environment over HTTP; its JSON. */
export async function createEnvironment(
  stack: LocalStack,
  serviceSid: string,
  form: { UniqueName: string; DomainSuffix?: string },
  account: Account = ACCOUNT,
): Promise<Created> {
  return expectJson<Created>(await call(stack, 'POST', environmentsPath(serviceSid), { account, form }), 201);
}

/** Creates a variable of an environment over HTTP; its JSON. */
export async function createVariable(
  stack: LocalStack,
  serviceSid: string,
  environmentSid: string,
  key: string,
  value: string,
  account: Account = ACCOUNT,
): Promise<Created> {
  return expectJson<Created>(
    await call(stack, 'POST', environmentsPath(serviceSid, environmentSid, '/Variables'), { account, form: { Key: key, Value: value } }),
    201,
  );
}

/** Deploys a build into an environment over HTTP; the deployment's JSON. */
export async function deployBuild(
  stack: LocalStack,
  serviceSid: string,
  environmentSid: string,
  buildSid: string,
  account: Account = ACCOUNT,
): Promise<Created> {
  return expectJson<Created>(
    await call(stack, 'POST', environmentsPath(serviceSid, environmentSid, '/Deployments'), { account, form: { BuildSid: buildSid } }),
    201,
  );
}

/** Creates a build of these versions over HTTP and waits for it to complete; the completed build's JSON. */
export async function completedBuild(
  stack: LocalStack,
  serviceSid: string,
  versions: { FunctionVersions?: string[]; AssetVersions?: string[] },
  account: Account = ACCOUNT,
): Promise<Created> {
  const body = new URLSearchParams();
  for (const sid of versions.FunctionVersions ?? []) body.append('FunctionVersions', sid);
  for (const sid of versions.AssetVersions ?? []) body.append('AssetVersions', sid);
  const build = await expectJson<Created>(
    await call(stack, 'POST', `/v1/Services/${serviceSid}/Builds`, { account, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body }),
    201,
  );
  expect(await waitForBuild(stack, serviceSid, build.sid, account)).toBe('completed');
  return expectJson<Created>(await call(stack, 'GET', `/v1/Services/${serviceSid}/Builds/${build.sid}`, { account }), 200);
}
