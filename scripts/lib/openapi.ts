import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Validation of responses against Twilio's own OpenAPI description of the Serverless API
 * (twilio-oai, `twilio_serverless_v1.json`), for the test suite (through test/support/openapi.ts)
 * and the smoke test of a deployed stack (scripts/smoke.ts) alike.
 *
 * OpenAPI 3.0 schemas are not quite JSON Schema: Ajv 8 understands `nullable` natively, `$ref`s to
 * `#/components/schemas/…` resolve because the whole spec document is registered with Ajv and each
 * response schema is compiled from its place in that document, and `strict: false` lets Ajv pass
 * over the OpenAPI-only keywords (`example`, `description`, `x-twilio`, …). ajv-formats checks
 * `date-time` and `uri`; Twilio's own format `uri-map` (the `links` object) is read as what it
 * means: an object whose values are URIs.
 *
 * Known gap in the spec: the `build_enum_runtime` enum stops at node22, while Twilio (and this
 * API) accept node24 since 2026. Whatever is validated therefore builds on node22.
 */

/** Where the spec is kept: `../shared/twilio-oai/` beside the repository (in CI too). */
export const DEFAULT_SPEC_PATH = fileURLToPath(new URL('../../../shared/twilio-oai/twilio_serverless_v1.json', import.meta.url));

/** Where to get the spec when it is missing. */
export const SPEC_SOURCE = 'https://github.com/twilio/twilio-oai/blob/main/spec/json/twilio_serverless_v1.json';

const SPEC_ID = 'https://twilio.com/oai/twilio_serverless_v1.json';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SpecOperation {
  operationId: string;
  method: string;
  path: string;
  /** JSON pointer (RFC 6901) of the operation object in the spec. */
  pointer: string;
  responses: Record<string, JsonObject>;
}

export interface ValidationOptions {
  /**
   * `false` (default): the spec exactly as written, where no property is required and any extra
   * property is allowed. `true`: additionally every property the spec declares must be present
   * and no undeclared one may appear, at every level the spec describes: Twilio's responses
   * carry every declared property, so ours must too.
   */
  closed?: boolean;
}

/**
 * Version uploads are not in the spec (Twilio serves them on its upload host); their responses
 * are the version resources the spec describes.
 */
export const UPLOAD_RESPONSE_SCHEMAS: Readonly<Record<string, string>> = {
  CreateFunctionVersion: 'serverless.v1.service.function.function_version',
  CreateAssetVersion: 'serverless.v1.service.asset.asset_version',
};

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

/** The spec file cannot be read or is not an OpenAPI document. */
export class SpecFileError extends Error {}

/** Reads and parses the spec file, or throws a SpecFileError that says where to get it. */
export function readSpecFile(path: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SpecFileError(
      `Cannot read Twilio's OpenAPI spec at ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
        `download twilio_serverless_v1.json from ${SPEC_SOURCE} (the twilio-oai repository, Apache 2.0) into ../shared/twilio-oai/ beside the repository, or pass its path with --spec.`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SpecFileError(`${path} is not JSON (${(error as Error).message}): expected twilio_serverless_v1.json from ${SPEC_SOURCE}.`);
  }
  if (!isObject(document) || typeof document.openapi !== 'string' || !isObject(document.paths)) {
    throw new SpecFileError(`${path} is not an OpenAPI document: expected twilio_serverless_v1.json from ${SPEC_SOURCE}.`);
  }
  return document;
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const pointerSegment = (segment: string): string => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));

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

const describeErrors = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map(
    (error) =>
      `${error.instancePath || '(body)'} ${error.message}${error.params && Object.keys(error.params).length ? ` ${JSON.stringify(error.params)}` : ''}`,
  );

/** One spec document and the validators compiled from it (each compiled once, on first use). */
export class OpenApiSpec {
  private readonly ajvs: Partial<Record<'spec' | 'closed', Ajv>> = {};
  private readonly validators = new Map<string, ValidateFunction>();
  private errorValidator: ValidateFunction | undefined;

  /** @param document the parsed spec; it is not modified. */
  constructor(readonly document: JsonObject) {}

  /** The spec in a file (see readSpecFile for the errors). */
  static fromFile(path: string = DEFAULT_SPEC_PATH): OpenApiSpec {
    return new OpenApiSpec(readSpecFile(path));
  }

  /** The operation with this operationId (CreateBuild, FetchBuild, ListBuild, DeleteBuild, FetchBuildStatus, …). */
  operation(operationId: string): SpecOperation {
    const paths = this.document.paths as Record<string, JsonObject>;
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
  response(operationId: string, status: number): JsonObject {
    const response = this.operation(operationId).responses[String(status)];
    if (!response) throw new Error(`The spec declares no ${status} response for ${operationId}`);
    return response;
  }

  /** The spec's first example body of an operation's response, if it has one. */
  example(operationId: string, status: number): Json | undefined {
    const content = this.response(operationId, status).content as Record<string, JsonObject> | undefined;
    const examples = content?.['application/json']?.examples as Record<string, { value: Json }> | undefined;
    return examples ? Object.values(examples)[0]?.value : undefined;
  }

  /** The values of an enum schema in `components.schemas`, e.g. `build_enum_runtime`. */
  enumValues(schemaName: string): string[] {
    const schemas = (this.document.components as JsonObject).schemas as Record<string, JsonObject>;
    return (schemas[schemaName]?.enum as string[] | undefined) ?? [];
  }

  private ajv(closed: boolean): Ajv {
    const mode = closed ? 'closed' : 'spec';
    let ajv = this.ajvs[mode];
    if (!ajv) {
      ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(ajv);
      const copy = structuredClone(this.document);
      prepareSchemas(copy, closed);
      ajv.addSchema(copy, SPEC_ID);
      this.ajvs[mode] = ajv;
    }
    return ajv;
  }

  private compiled(key: string, closed: boolean, pointer: string, missing: string): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv(closed).getSchema(`${SPEC_ID}#${pointer}`);
      if (!validate) throw new Error(missing);
      this.validators.set(key, validate);
    }
    return validate;
  }

  /**
   * What is wrong with a response body according to the spec's schema for this operation and
   * status: an empty list when the body conforms.
   */
  bodyProblems(operationId: string, status: number, body: unknown, options: ValidationOptions = {}): string[] {
    const closed = options.closed ?? false;
    const key = `${operationId} ${status} ${closed}`;
    let validate = this.validators.get(key);
    if (!validate) {
      const operation = this.operation(operationId);
      if (!isObject(this.response(operationId, status).content)) throw new Error(`The spec declares no body for ${operationId} ${status}`);
      const pointer = `${operation.pointer}/responses/${status}/content/${pointerSegment('application/json')}/schema`;
      validate = this.compiled(key, closed, pointer, `Cannot compile the schema at ${pointer}`);
    }
    return validate(body) ? [] : describeErrors(validate.errors);
  }

  /** What is wrong with a value according to a named schema of `components.schemas` (e.g. `serverless.v1.service.build`). */
  schemaProblems(schemaName: string, value: unknown, options: ValidationOptions = {}): string[] {
    const closed = options.closed ?? false;
    const pointer = `/components/schemas/${pointerSegment(schemaName)}`;
    const validate = this.compiled(`#${schemaName} ${closed}`, closed, pointer, `The spec has no schema ${schemaName}`);
    return validate(value) ? [] : describeErrors(validate.errors);
  }

  /**
   * What is wrong with the body of a route's response: the operation's schema, or for a version
   * upload (outside the spec) the version resource's schema (UPLOAD_RESPONSE_SCHEMAS).
   */
  routeBodyProblems(routeId: string, status: number, body: unknown, options: ValidationOptions = {}): string[] {
    const uploadSchema = UPLOAD_RESPONSE_SCHEMAS[routeId];
    return uploadSchema ? this.schemaProblems(uploadSchema, body, options) : this.bodyProblems(routeId, status, body, options);
  }

  /**
   * What is wrong with the response headers the spec names for this operation and status (the
   * Access-Control-* headers of 200/201): each one present must match its schema (a boolean
   * header must read `true` or `false`); those in `required` must be present.
   */
  headerProblems(operationId: string, status: number, headers: Headers, required: readonly string[] = []): string[] {
    const declared = (this.response(operationId, status).headers ?? {}) as Record<string, { schema?: JsonObject }>;
    const ajv = this.ajv(false);
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
   * What is wrong with an error body: TWILIO_ERROR_SCHEMA, `more_info` naming the body's own
   * code, `status` equal to the HTTP status, and (when given) the expected Twilio error code.
   */
  twilioErrorProblems(body: unknown, httpStatus: number, expectedCode?: number): string[] {
    this.errorValidator ??= this.ajv(false).compile(TWILIO_ERROR_SCHEMA);
    if (!this.errorValidator(body)) return describeErrors(this.errorValidator.errors);
    const error = body as { code: number; more_info: string; status: number };
    const problems: string[] = [];
    if (error.more_info !== `https://www.twilio.com/docs/errors/${error.code}`) problems.push(`/more_info ${error.more_info} does not name code ${error.code}`);
    if (error.status !== httpStatus) problems.push(`/status ${error.status} differs from the HTTP status ${httpStatus}`);
    if (expectedCode !== undefined && error.code !== expectedCode) problems.push(`/code ${error.code}, expected ${expectedCode}`);
    return problems;
  }
}
