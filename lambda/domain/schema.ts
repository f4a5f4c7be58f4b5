import validatePackageName from 'validate-npm-package-name';
import * as z from 'zod/mini';
import { isRegistrySpec } from './dependency-spec';
import { RUNTIMES } from './runtime';
import { BUILD_SID, FUNCTION_OR_ASSET_SID, SERVICE_SID, VERSION_SID } from './sid';

/** Twilio's documented limits per build. */
export const MAX_FUNCTION_VERSIONS = 50;
export const MAX_ASSET_VERSIONS = 1000;

/** A form field that may occur once (a string) or repeatedly (an array), as a list of version SIDs. */
const versionSids = (parameter: string, max: number) =>
  z.pipe(
    z.pipe(
      z.optional(z.union([z.string(), z.array(z.string())])),
      z.transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value])),
    ),
    z
      .array(
        z.string().check(
          z.regex(VERSION_SID, {
            error: (issue) => `Invalid ${parameter}: '${String(issue.input)}' is not a version SID (ZN followed by 32 hex digits)`,
          }),
        ),
      )
      .check(z.maxLength(max, { error: `Invalid ${parameter}: at most ${max} are allowed in one build` })),
  );

/** Names already found valid in this container: deploys send the same few names on every build. */
const validPackageNames = new Set<string>();
const MAX_REMEMBERED_PACKAGE_NAMES = 1000;

function isValidPackageName(name: string): boolean {
  if (validPackageNames.has(name)) return true;
  const valid = validatePackageName(name).validForOldPackages;
  if (valid && validPackageNames.size < MAX_REMEMBERED_PACKAGE_NAMES) validPackageNames.add(name);
  return valid;
}

const dependency = z.object(
  {
    name: z.string({ error: 'Invalid Dependencies: each dependency needs a string name' }).check(
      z.refine(isValidPackageName, {
        error: (issue) => `Invalid Dependencies: '${String(issue.input)}' is not a valid npm package name`,
      }),
    ),
    version: z.string({ error: 'Invalid Dependencies: each dependency needs a string version' }).check(
      z.minLength(1, { error: 'Invalid Dependencies: a dependency version cannot be empty' }),
      z.refine(isRegistrySpec, {
        error: (issue) =>
          `Invalid Dependencies: '${String(issue.input)}' is not a version, range or tag of the npm registry (git, file, link, URL and alias specs are not supported)`,
      }),
    ),
  },
  { error: 'Invalid Dependencies: each dependency must be an object {"name": ..., "version": ...}' },
);

/**
 * Twilio's serverless toolkit sends `Dependencies="[...]"`: the JSON text wrapped in one extra
 * pair of double quotes. Accept that form and the raw JSON text.
 */
function unwrapQuotedJson(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length < 2 || !trimmed.startsWith('"') || !trimmed.endsWith('"')) return trimmed;
  try {
    const decoded: unknown = JSON.parse(trimmed);
    if (typeof decoded === 'string') return decoded;
  } catch {
    // not a JSON string literal: the toolkit's unescaped quotes
  }
  return trimmed.slice(1, -1);
}

const dependencies = z.pipe(
  z.pipe(
    z.optional(z.string({ error: 'Invalid Dependencies: expected one JSON text' })),
    z.transform((text, context) => {
      if (text === undefined) return [];
      try {
        return JSON.parse(unwrapQuotedJson(text)) as unknown;
      } catch {
        context.issues.push({ code: 'custom', message: 'Invalid Dependencies: not valid JSON', input: text });
        return z.NEVER;
      }
    }),
  ),
  z.array(dependency, { error: 'Invalid Dependencies: expected a JSON array of {"name", "version"} objects' }),
);

/**
 * The Create Build form body. Unknown parameters are ignored, as Twilio does. The transforms
 * turn the wire form into the domain's: lists of SIDs, parsed dependencies. (zod/mini: the same
 * schema language, a third of the bundle and of the cold start of classic zod.)
 */
export const createBuildBody = z
  .object({
    FunctionVersions: versionSids('FunctionVersions', MAX_FUNCTION_VERSIONS),
    AssetVersions: versionSids('AssetVersions', MAX_ASSET_VERSIONS),
    Dependencies: dependencies,
    Runtime: z.optional(z.enum(RUNTIMES, { error: `Invalid Runtime: must be one of ${RUNTIMES.join(', ')}` })),
  })
  .check(
    z.refine((body) => body.FunctionVersions.length + body.AssetVersions.length > 0, {
      error: 'At least one Function Version or Asset Version is required for Build',
    }),
  );

export type CreateBuildRequest = z.output<typeof createBuildBody>;

const PAGE_SIZE_ERROR = 'Invalid PageSize: must be an integer from 1 to 1000';
const PAGE_ERROR = 'Invalid Page: must be a non-negative integer';

/** Twilio's paging parameters of every list request. */
export const listQuery = z.object({
  PageSize: z._default(
    z.coerce
      .number({ error: PAGE_SIZE_ERROR })
      .check(z.int({ error: PAGE_SIZE_ERROR }), z.gte(1, { error: PAGE_SIZE_ERROR }), z.lte(1000, { error: PAGE_SIZE_ERROR })),
    50,
  ),
  Page: z._default(z.coerce.number({ error: PAGE_ERROR }).check(z.int({ error: PAGE_ERROR }), z.gte(0, { error: PAGE_ERROR })), 0),
  PageToken: z.optional(z.string()),
});

/** A required (or optional) text parameter of at most `max` characters; messages name it. */
const text = (parameter: string, max: number) =>
  z
    .string({ error: `Missing required parameter ${parameter}` })
    .check(
      z.minLength(1, { error: `Missing required parameter ${parameter}` }),
      z.maxLength(max, { error: `Invalid ${parameter}: at most ${max} characters` }),
    );

/** A form boolean as Twilio reads it: `true` or `false`, in any case. */
const formBoolean = (parameter: string) =>
  z.pipe(
    z.string().check(z.regex(/^(true|false)$/i, { error: `Invalid ${parameter}: must be true or false` })),
    z.transform((value) => value.toLowerCase() === 'true'),
  );

/** Services' unique names become part of a domain name: letters, digits and dashes. */
export const SERVICE_UNIQUE_NAME = /^[A-Za-z0-9-]+$/;

/** The Create Service form. */
export const createServiceBody = z.object({
  UniqueName: text('UniqueName', 50).check(
    z.regex(SERVICE_UNIQUE_NAME, { error: 'Invalid UniqueName: use only letters, digits and dashes' }),
    // A path names a service by SID or unique name: a name shaped like a SID could never be reached.
    z.refine((name) => !SERVICE_SID.test(name), { error: 'Invalid UniqueName: must not have the form of a Service SID' }),
  ),
  FriendlyName: text('FriendlyName', 255),
  IncludeCredentials: z._default(formBoolean('IncludeCredentials'), true),
  UiEditable: z._default(formBoolean('UiEditable'), false),
});
export type CreateServiceRequest = z.output<typeof createServiceBody>;

/** The Update Service form: every parameter optional. */
export const updateServiceBody = z.object({
  FriendlyName: z.optional(text('FriendlyName', 255)),
  IncludeCredentials: z.optional(formBoolean('IncludeCredentials')),
  UiEditable: z.optional(formBoolean('UiEditable')),
});
export type UpdateServiceRequest = z.output<typeof updateServiceBody>;

/** The Create and Update forms of Functions and Assets. */
export const friendlyNameBody = z.object({ FriendlyName: text('FriendlyName', 255) });

export const VISIBILITIES = ['public', 'protected', 'private'] as const;

/** A multipart file part, as @middy/http-multipart-body-parser delivers it. */
const filePart = z.object({ content: z.custom<Buffer>((value) => Buffer.isBuffer(value)), mimetype: z.optional(z.string()) });

/**
 * The version upload form (multipart): `Path` (a leading `/` is added when missing), `Visibility`
 * and `Content`, a file part with its content type (or a plain field, taken as text).
 */
export const uploadVersionBody = z.object({
  Path: z.pipe(
    z.string({ error: 'Missing required parameter Path' }).check(z.minLength(1, { error: 'Missing required parameter Path' })),
    z.pipe(
      z.transform((path: string) => (path.startsWith('/') ? path : `/${path}`)),
      z.string().check(
        z.maxLength(255, { error: 'Invalid Path: at most 255 characters' }),
        // A path becomes part of a URL: control characters (NUL, CR, LF, …) have no place in it.
        z.refine((path) => ![...path].some((character) => character <= '\u001f' || character === '\u007f'), {
          error: 'Invalid Path: control characters are not allowed',
        }),
      ),
    ),
  ),
  Visibility: z.enum(VISIBILITIES, { error: `Invalid Visibility: must be one of ${VISIBILITIES.join(', ')}` }),
  Content: z.pipe(
    z.union([filePart, z.string()], { error: 'Missing required parameter Content: send it as a file part' }),
    z.transform((part) =>
      typeof part === 'string'
        ? { bytes: Buffer.from(part, 'utf8'), contentType: 'text/plain' }
        : { bytes: part.content, contentType: part.mimetype || 'application/octet-stream' },
    ),
  ),
});
export type UploadVersionRequest = z.output<typeof uploadVersionBody>;

/** The Create Environment form. */
export const createEnvironmentBody = z.object({
  UniqueName: text('UniqueName', 100),
  // An empty DomainSuffix is no suffix, as an omitted one.
  DomainSuffix: z.pipe(
    z.optional(
      z
        .string()
        .check(
          z.maxLength(16, { error: 'Invalid DomainSuffix: at most 16 characters' }),
          z.regex(/^[A-Za-z0-9-]*$/, { error: 'Invalid DomainSuffix: use only letters, digits and dashes' }),
        ),
    ),
    z.transform((suffix) => suffix || undefined),
  ),
});
export type CreateEnvironmentRequest = z.output<typeof createEnvironmentBody>;

/** Variable values are at most 450 bytes (UTF-8), as Twilio documents. */
const MAX_VALUE_BYTES = 450;
const variableValue = z
  .string({ error: 'Missing required parameter Value' })
  .check(z.refine((value) => Buffer.byteLength(value, 'utf8') <= MAX_VALUE_BYTES, { error: `Invalid Value: at most ${MAX_VALUE_BYTES} bytes` }));

/** The Create Variable form. */
export const createVariableBody = z.object({ Key: text('Key', 128), Value: variableValue });
export type CreateVariableRequest = z.output<typeof createVariableBody>;

/** The Update Variable form: Key, Value or both. */
export const updateVariableBody = z.object({ Key: z.optional(text('Key', 128)), Value: z.optional(variableValue) });
export type UpdateVariableRequest = z.output<typeof updateVariableBody>;

/** The Create Deployment form. Twilio's toolkit always sends a BuildSid. */
export const createDeploymentBody = z.object({
  BuildSid: z
    .string({ error: 'Missing required parameter BuildSid' })
    .check(z.regex(BUILD_SID, { error: (issue) => `Invalid BuildSid: '${String(issue.input)}' is not a Build SID` })),
  IsPlugin: z._default(formBoolean('IsPlugin'), false),
});
export type CreateDeploymentRequest = z.output<typeof createDeploymentBody>;

/** An ISO 8601 date or date-time, as Twilio's date filters take (`2026-11-28`, `2026-11-28T12:00:00Z`). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const dateTime = (parameter: string) =>
  z
    .string()
    .check(z.refine((value) => ISO_8601.test(value) && !Number.isNaN(Date.parse(value)), { error: `Invalid ${parameter}: expected an ISO 8601 date-time` }));

/** The List Logs query: Twilio's paging and its filters. */
export const listLogsQuery = z.extend(listQuery, {
  FunctionSid: z.optional(z.string().check(z.regex(FUNCTION_OR_ASSET_SID, { error: 'Invalid FunctionSid: not a Function SID' }))),
  StartDate: z.optional(dateTime('StartDate')),
  EndDate: z.optional(dateTime('EndDate')),
});
