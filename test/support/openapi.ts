import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Validation of responses against Twilio's own OpenAPI description of the Serverless API
 * (twilio-oai, `twilio_serverless_v1.json`), read at test time from the shared folder next to the
 * repository (`../shared/twilio-oai/`, in CI too).
 *
 * OpenAPI 3.0 schemas are not quite JSON Schema: Ajv 8 understands `nullable` natively, `$ref`s to
 * `#/components/schemas/…` resolve because the whole spec document is registered with Ajv and each
 * response schema is compiled from its place in that document, and `strict: false` lets Ajv pass
 * over the OpenAPI-only keywords (`example`, `description`, `x-twilio`, …). ajv-formats checks
 * `date-time` and `uri`; Twilio's own format `uri-map` (the `links` object) is read as what it
 * means: an object whose values are URIs.
 *
 * Known gap in the spec: the `build_enum_runtime` enum stops at node22, while Twilio (and this
 * API) accept node24 since 2026. Contract tests therefore validate node22 builds.
 */

export const SPEC_PATH = fileURLToPath(new URL('../../../shared/twilio-oai/twilio_serverless_v1.json', import.meta.url));
const SPEC_ID = 'https://twilio.com/oai/twilio_serverless_v1.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface SpecOperation {
  operationId: string;
  method: string;
  path: string;
  /** JSON pointer (RFC 6901) of the operation object in the spec. */
  pointer: string;
  responses: Record<string, JsonObject>;
}

let cachedSpec: JsonObject | undefined;

/** The spec, parsed once per test file. */
export function loadSpec(): JsonObject {
  cachedSpec ??= JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as JsonObject;
  return cachedSpec;
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const pointerSegment = (segment: string): string => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));

/** The operation with this operationId (CreateBuild, FetchBuild, ListBuild, DeleteBuild, FetchBuildStatus). */
export function specOperation(operationId: string): SpecOperation {
  const paths = loadSpec().paths as Record<string, JsonObject>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (isObject(operation) && operation.operationId === operationId) {
        return {
          operationId,
          method: method.toUpperCase(),
          path,
          pointer: `/paths/${pointerSegment(path)}/${method}`,
          responses: operation.responses as Record<string, JsonObject>,
        };
      }
    }
  }
  throw new Error(`The spec has no operation ${operationId}`);
}

/** The response object the spec declares for an operation and status; throws if it declares none. */
export function specResponse(operationId: string, status: number): JsonObject {
  const response = specOperation(operationId).responses[String(status)];
  if (!response) throw new Error(`The spec declares no ${status} response for ${operationId}`);
  return response;
}

/** The spec's first example body of an operation's response, if it has one. */
export function specExample(operationId: string, status: number): Json | undefined {
  const content = specResponse(operationId, status).content as Record<string, JsonObject> | undefined;
  const examples = content?.['application/json']?.examples as Record<string, { value: Json }> | undefined;
  return examples ? Object.values(examples)[0]?.value : undefined;
}

/** The values of an enum schema in `components.schemas`, e.g. `build_enum_runtime`. */
export function specEnum(schemaName: string): string[] {
  const schemas = (loadSpec().components as JsonObject).schemas as Record<string, JsonObject>;
  return (schemas[schemaName]?.enum as string[] | undefined) ?? [];
}

/** Rewrites schemas in place: Twilio's `uri-map` format as an object of URIs; in `closed` mode, every object schema with `properties` closed. */
function prepareSchemas(node: Json, closed: boolean): void {
  if (Array.isArray(node)) {
    for (const child of node) prepareSchemas(child, closed);
    return;
  }
  if (!isObject(node)) return;
  if (node.format === 'uri-map') {
    delete node.format;
    node.additionalProperties = { type: 'string', format: 'uri' };
  }
  if (closed && node.type === 'object' && isObject(node.properties)) {
    node.required = Object.keys(node.properties);
    node.additionalProperties = false;
  }
  for (const child of Object.values(node)) prepareSchemas(child, closed);
}

function newAjv(closed: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const spec = structuredClone(loadSpec());
  prepareSchemas(spec, closed);
  ajv.addSchema(spec, SPEC_ID);
  return ajv;
}

const ajvs: Partial<Record<'spec' | 'closed', Ajv>> = {};
const validators = new Map<string, ValidateFunction>();

export interface ValidationOptions {
  /**
   * `false` (default): the spec exactly as written, where no property is required and any extra
   * property is allowed. `true`: additionally every property the spec declares must be present
   * and no undeclared one may appear, at every level the spec describes: Twilio's responses
   * carry every declared property, so ours must too.
   */
  closed?: boolean;
}

function responseValidator(operationId: string, status: number, closed: boolean): ValidateFunction {
  const key = `${operationId} ${status} ${closed}`;
  let validate = validators.get(key);
  if (!validate) {
    const operation = specOperation(operationId);
    const response = specResponse(operationId, status);
    if (!isObject(response.content)) throw new Error(`The spec declares no body for ${operationId} ${status}`);
    const mode = closed ? 'closed' : 'spec';
    const ajv = (ajvs[mode] ??= newAjv(closed));
    const pointer = `${operation.pointer}/responses/${status}/content/${pointerSegment('application/json')}/schema`;
    validate = ajv.getSchema(`${SPEC_ID}#${pointer}`);
    if (!validate) throw new Error(`Cannot compile the schema at ${pointer}`);
    validators.set(key, validate);
  }
  return validate;
}

const describeErrors = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map(
    (error) =>
      `${error.instancePath || '(body)'} ${error.message}${error.params && Object.keys(error.params).length ? ` ${JSON.stringify(error.params)}` : ''}`,
  );

/**
 * What is wrong with a response body according to the spec's schema for this operation and
 * status: an empty list when the body conforms.
 */
export function bodyProblems(operationId: string, status: number, body: unknown, options: ValidationOptions = {}): string[] {
  const validate = responseValidator(operationId, status, options.closed ?? false);
  return validate(body) ? [] : describeErrors(validate.errors);
}

/** What is wrong with a value according to a named schema of `components.schemas` (e.g. `serverless.v1.service.build`). */
export function schemaProblems(schemaName: string, value: unknown, options: ValidationOptions = {}): string[] {
  const closed = options.closed ?? false;
  const key = `#${schemaName} ${closed}`;
  let validate = validators.get(key);
  if (!validate) {
    const ajv = (ajvs[closed ? 'closed' : 'spec'] ??= newAjv(closed));
    validate = ajv.getSchema(`${SPEC_ID}#/components/schemas/${pointerSegment(schemaName)}`);
    if (!validate) throw new Error(`The spec has no schema ${schemaName}`);
    validators.set(key, validate);
  }
  return validate(value) ? [] : describeErrors(validate.errors);
}

/**
 * What is wrong with the response headers the spec names for this operation and status (the
 * Access-Control-* headers of 200/201): each one present must match its schema (a boolean
 * header must read `true` or `false`); those in `required` must be present.
 */
export function headerProblems(operationId: string, status: number, headers: Headers, required: readonly string[] = []): string[] {
  const declared = (specResponse(operationId, status).headers ?? {}) as Record<string, { schema?: JsonObject }>;
  const ajv = (ajvs.spec ??= newAjv(false));
  const problems: string[] = [];
  for (const name of required) {
    if (!(name in declared)) problems.push(`${name} is not a header the spec declares for ${operationId} ${status}`);
  }
  for (const [name, { schema = {} }] of Object.entries(declared)) {
    const raw = headers.get(name);
    if (raw === null) {
      if (required.includes(name)) problems.push(`${name}: missing`);
      continue;
    }
    let value: unknown = raw;
    if (schema.type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') {
        problems.push(`${name}: '${raw}' is not a boolean`);
        continue;
      }
      value = raw === 'true';
    }
    const validate = ajv.compile(schema);
    if (!validate(value)) problems.push(...describeErrors(validate.errors).map((problem) => `${name}: ${problem}`));
  }
  return problems;
}

/**
 * Twilio's error body. The spec defines none; Twilio answers `{code, message, more_info, status}`
 * and nothing else: with `type` and `title` keys twilio-node would read the body as an RFC 9457
 * problem and throw a different exception class.
 */
export const TWILIO_ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message', 'more_info', 'status'],
  additionalProperties: false,
  properties: {
    code: { type: 'integer', minimum: 1 },
    message: { type: 'string', minLength: 1 },
    more_info: { type: 'string', format: 'uri', pattern: '^https://www\\.twilio\\.com/docs/errors/[0-9]+$' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
  },
} as const;

let errorValidator: ValidateFunction | undefined;

/**
 * What is wrong with an error body: the schema above, `more_info` naming the body's own code,
 * `status` equal to the HTTP status, and (when given) the expected Twilio error code.
 */
export function twilioErrorProblems(body: unknown, httpStatus: number, expectedCode?: number): string[] {
  errorValidator ??= (ajvs.spec ??= newAjv(false)).compile(TWILIO_ERROR_SCHEMA);
  if (!errorValidator(body)) return describeErrors(errorValidator.errors);
  const error = body as { code: number; more_info: string; status: number };
  const problems: string[] = [];
  if (error.more_info !== `https://www.twilio.com/docs/errors/${error.code}`) problems.push(`/more_info ${error.more_info} does not name code ${error.code}`);
  if (error.status !== httpStatus) problems.push(`/status ${error.status} differs from the HTTP status ${httpStatus}`);
  if (expectedCode !== undefined && error.code !== expectedCode) problems.push(`/code ${error.code}, expected ${expectedCode}`);
  return problems;
}

/**
 * The shape of a JSON value as sorted key paths (`links.build_status`, `function_versions[].sid`),
 * array items merged: two bodies with the same shape have the same keys at every level.
 */
export function keyPaths(value: unknown, prefix = ''): string[] {
  const paths = new Set<string>();
  if (Array.isArray(value)) {
    for (const item of value) for (const path of keyPaths(item, `${prefix}[]`)) paths.add(path);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      paths.add(path);
      for (const nested of keyPaths(child, path)) paths.add(nested);
    }
  }
  return [...paths].sort();
}
