import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FALLBACK_ENTRY, ROUTES } from '../../lambda/routes';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The bench's bare upload (bench/upload-floor-handler.ts): the upload function's own cold-start floor. */
export const UPLOAD_FLOOR = 'upload-floor';
/** The bench's FetchFunction-only function (bench/one-route-function.ts). */
export const ONE_ROUTE_FUNCTION = 'fetch-function-alone';

/** The esbuild options of the stack's functions, as CDK passes them to esbuild. */
export type StackBundling = Awaited<ReturnType<typeof readStackBundling>>;

/** lib/builds-stack.ts's BUNDLING, the NodejsFunction options, as CDK turns them into esbuild's (with --bundle --platform=node). */
export async function readStackBundling() {
  const { BUNDLING: options } = await import('../../lib/builds-stack');
  return {
    format: String(options.format) === 'esm' ? ('esm' as const) : ('cjs' as const),
    target: options.target,
    mainFields: options.mainFields,
    banner: options.banner,
    minify: options.minify,
    sourcemap: options.sourceMap,
    sourcesContent: options.sourcesContent,
    // CDK's default for Node 18+ runtimes: @aws-sdk/* external (the runtime's copy) unless bundleAwsSDK.
    external: options.externalModules ?? (options.bundleAwsSDK ? [] : ['@aws-sdk/*']),
  };
}

/** Bundles one entry with the stack's options into `<outDir>/<name>/index.mjs` (the name CDK gives it); the file and its bytes. */
export async function bundle(name: string, entry: string, outDir: string, options: StackBundling) {
  const file = join(outDir, name, options.format === 'esm' ? 'index.mjs' : 'index.js');
  const { mainFields, banner, ...flags } = options;
  await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [entry],
    bundle: true,
    outfile: file,
    platform: 'node',
    ...flags,
    ...(mainFields ? { mainFields } : {}),
    ...(banner ? { banner: { js: banner } } : {}),
    logLevel: 'error',
  });
  return { name, file, bytes: statSync(file).size };
}

/** The stack's construct id of a function, as lib/builds-stack.ts names it: a function of one route after its operation, a family's after the family. */
export function constructIdOf(entry: string): string {
  const routes = ROUTES.filter((route) => route.entry === entry);
  const id = routes.length === 1 ? routes[0]!.id : entry.replace(/(^|-)([a-z])/g, (_, _dash: string, letter: string) => letter.toUpperCase());
  return `${id}Function`;
}

/**
 * Every function of the stack once (many routes share one), the fallback, then the bench's own
 * entries: the baseline (in `bundle_bytes`), the one-route FetchFunction and the bare upload (not
 * functions of the stack, so not in `bundle_bytes`).
 */
export function bundleEntries() {
  const handler = (name: string) => ({ name, entry: join(PROJECT_ROOT, 'lambda', 'handlers', `${name}.ts`), inBundleBytes: true });
  const own = (name: string, file: string, inBundleBytes: boolean) => ({ name, entry: join(PROJECT_ROOT, 'bench', file), inBundleBytes });
  return [
    ...[...new Set(ROUTES.map((route) => route.entry as string))].map(handler),
    handler(FALLBACK_ENTRY),
    own('baseline', 'baseline-handler.ts', true),
    own(ONE_ROUTE_FUNCTION, 'one-route-function.ts', false),
    own(UPLOAD_FLOOR, 'upload-floor-handler.ts', false),
  ];
}
