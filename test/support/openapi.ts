import {
  DEFAULT_SPEC_PATH,
  type Json,
  type JsonObject,
  OpenApiSpec,
  type SpecOperation,
  TWILIO_ERROR_SCHEMA,
  type ValidationOptions,
} from '../../scripts/lib/openapi';

/**
 * The tests' view of Twilio's OpenAPI spec (`../shared/twilio-oai/twilio_serverless_v1.json`):
 * the validator core lives in scripts/lib/openapi.ts, shared with the smoke test of a deployed
 * stack; these functions validate against the one spec file the suite reads.
 *
 * Known gap in the spec: the `build_enum_runtime` enum stops at node22, while Twilio (and this
 * API) accept node24 since 2026. Contract tests therefore validate node22 builds.
 */

export { TWILIO_ERROR_SCHEMA, type ValidationOptions };
export const SPEC_PATH = DEFAULT_SPEC_PATH;

let cachedSpec: OpenApiSpec | undefined;
/** The spec and its validators, read and compiled once per test file. */
const spec = (): OpenApiSpec => (cachedSpec ??= OpenApiSpec.fromFile(SPEC_PATH));

/** The spec, parsed once per test file. */
export const loadSpec = (): JsonObject => spec().document;

/** The operation with this operationId (CreateBuild, FetchBuild, ListBuild, DeleteBuild, FetchBuildStatus). */
export const specOperation = (operationId: string): SpecOperation => spec().operation(operationId);

/** The response object the spec declares for an operation and status; throws if it declares none. */
export const specResponse = (operationId: string, status: number): JsonObject => spec().response(operationId, status);

/** The spec's first example body of an operation's response, if it has one. */
export const specExample = (operationId: string, status: number): Json | undefined => spec().example(operationId, status);

/** The values of an enum schema in `components.schemas`, e.g. `build_enum_runtime`. */
export const specEnum = (schemaName: string): string[] => spec().enumValues(schemaName);

/**
 * What is wrong with a response body according to the spec's schema for this operation and
 * status: an empty list when the body conforms.
 */
export const bodyProblems = (operationId: string, status: number, body: unknown, options: ValidationOptions = {}): string[] =>
  spec().bodyProblems(operationId, status, body, options);

/** What is wrong with a value according to a named schema of `components.schemas` (e.g. `serverless.v1.service.build`). */
export const schemaProblems = (schemaName: string, value: unknown, options: ValidationOptions = {}): string[] =>
  spec().schemaProblems(schemaName, value, options);

/** What is wrong with a route's response body: its operation's schema, or a version upload's version schema. */
export const routeBodyProblems = (routeId: string, status: number, body: unknown, options: ValidationOptions = {}): string[] =>
  spec().routeBodyProblems(routeId, status, body, options);

/**
 * What is wrong with the response headers the spec names for this operation and status (the
 * Access-Control-* headers of 200/201): each one present must match its schema; those in
 * `required` must be present.
 */
export const headerProblems = (operationId: string, status: number, headers: Headers, required: readonly string[] = []): string[] =>
  spec().headerProblems(operationId, status, headers, required);

/**
 * What is wrong with an error body: Twilio's error schema, `more_info` naming the body's own
 * code, `status` equal to the HTTP status, and (when given) the expected Twilio error code.
 */
export const twilioErrorProblems = (body: unknown, httpStatus: number, expectedCode?: number): string[] =>
  spec().twilioErrorProblems(body, httpStatus, expectedCode);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

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
