import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { FALLBACK_ENTRY, ROUTES } from '../../lambda/routes';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STACK_FILE = join(PROJECT_ROOT, 'lib', 'builds-stack.ts');

/** The esbuild options of the stack's NodejsFunction `bundling` block, as CDK passes them to esbuild. */
export interface StackBundling {
  format: 'esm' | 'cjs';
  target: string;
  mainFields: string[] | undefined;
  banner: string | undefined;
  minify: boolean;
  sourcemap: boolean;
  sourcesContent: boolean;
  external: string[];
  /** Where these options were read from. */
  source: string;
}

/** The text of the `bundling: { … }` object literal (brace-matched). */
function bundlingBlock(text: string): string | undefined {
  const start = text.indexOf('bundling: {');
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}

function stringLiteral(literal: string): string {
  return literal.startsWith('"') ? (JSON.parse(literal) as string) : literal.slice(1, -1).replace(/\\'/g, "'");
}

/**
 * Reads the bundling options from lib/builds-stack.ts, so that the bench bundles as `cdk synth`
 * does (CDK runs esbuild with --bundle --platform=node and these flags). Without the stack file:
 * ESM, minified, node24, source maps, nothing external.
 */
export function readStackBundling(): StackBundling {
  const fallback: StackBundling = {
    format: 'esm',
    target: 'node24',
    mainFields: undefined,
    banner: undefined,
    minify: true,
    sourcemap: true,
    sourcesContent: true,
    external: [],
    source: 'defaults (no lib/builds-stack.ts)',
  };
  if (!existsSync(STACK_FILE)) return fallback;
  const text = readFileSync(STACK_FILE, 'utf8');
  const block = bundlingBlock(text);
  if (!block) return { ...fallback, source: 'defaults (no bundling block in lib/builds-stack.ts)' };
  const runtime = /Runtime\.NODEJS_(\d+)_X/.exec(text)?.[1];
  const target = /target:\s*['"]([^'"]+)['"]/.exec(block)?.[1] ?? (runtime ? `node${runtime}` : 'node24');
  const mainFields = /mainFields:\s*\[([^\]]*)\]/
    .exec(block)?.[1]
    ?.match(/['"][^'"]+['"]/g)
    ?.map((field) => field.slice(1, -1));
  let banner: string | undefined;
  const bannerValue = /banner:\s*([A-Z_a-z]\w*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/.exec(block)?.[1];
  if (bannerValue?.startsWith('"') || bannerValue?.startsWith("'")) banner = stringLiteral(bannerValue);
  else if (bannerValue) {
    const constant = new RegExp(`const ${bannerValue}\\s*=\\s*("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*')`).exec(text)?.[1];
    if (!constant) throw new Error(`lib/builds-stack.ts: cannot read the banner constant ${bannerValue}`);
    banner = stringLiteral(constant);
  }
  const bundleAwsSdk = /bundleAwsSDK:\s*true/.test(block);
  const externalList = /externalModules:\s*\[([^\]]*)\]/.exec(block)?.[1];
  // CDK's default for Node 18+ runtimes: @aws-sdk/* external (the runtime's copy) unless bundleAwsSDK.
  const external =
    externalList !== undefined ? (externalList.match(/['"][^'"]+['"]/g) ?? []).map((name) => name.slice(1, -1)) : bundleAwsSdk ? [] : ['@aws-sdk/*'];
  return {
    format: /format:\s*OutputFormat\.ESM/.test(block) ? 'esm' : 'cjs',
    target,
    mainFields,
    banner,
    minify: /minify:\s*true/.test(block),
    sourcemap: /sourceMap:\s*true/.test(block),
    sourcesContent: !/sourcesContent:\s*false/.test(block),
    external,
    source: 'lib/builds-stack.ts',
  };
}

export interface BundleResult {
  name: string;
  file: string;
  bytes: number;
  mapBytes: number;
  /** Output bytes by package (node_modules) or `app`. */
  byPackage: Array<[string, number]>;
}

function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return 'app';
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? 'app');
}

/** Bundles one entry with the stack's options into `<outDir>/<name>/index.mjs` (the name CDK gives it). */
export async function bundle(name: string, entry: string, outDir: string, options: StackBundling): Promise<BundleResult> {
  const file = join(outDir, name, options.format === 'esm' ? 'index.mjs' : 'index.js');
  const result = await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [entry],
    bundle: true,
    outfile: file,
    platform: 'node',
    format: options.format,
    target: options.target,
    minify: options.minify,
    sourcemap: options.sourcemap,
    sourcesContent: options.sourcesContent,
    external: options.external,
    ...(options.mainFields ? { mainFields: options.mainFields } : {}),
    ...(options.banner ? { banner: { js: options.banner } } : {}),
    metafile: true,
    logLevel: 'error',
  });
  const metafile = result.metafile as Metafile;
  const output = Object.entries(metafile.outputs).find(([path]) => !path.endsWith('.map'))?.[1];
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
  return {
    name,
    file,
    bytes: statSync(file).size,
    mapBytes: options.sourcemap ? statSync(`${file}.map`).size : 0,
    byPackage: [...byPackage].sort((a, b) => b[1] - a[1]),
  };
}

/** The stack's construct id of a function, as lib/builds-stack.ts names it: a function of one route after its operation, a family's after the family. */
export function constructIdOf(entry: string): string {
  const routes = ROUTES.filter((route) => route.entry === entry);
  const id = routes.length === 1 ? routes[0]!.id : entry.replace(/(^|-)([a-z])/g, (_, _dash: string, letter: string) => letter.toUpperCase());
  return `${id}Function`;
}

export interface BundleEntry {
  name: string;
  entry: string;
  /** The construct id in the stack (`…Function`); empty for the bench's own entries. */
  construct: string;
  /** Reported in results.json's `bundle_bytes` (the stack's functions and the baseline). */
  inBundleBytes: boolean;
}

/**
 * Every function of the stack, once each (many routes share one), and the fallback; then the
 * bench's own entries: the baseline (in `bundle_bytes`), the one-route FetchFunction of the
 * architecture comparison and the bare upload (not functions of the stack, so not in `bundle_bytes`).
 */
export function bundleEntries(): BundleEntry[] {
  const entries = [...new Set(ROUTES.map((route) => route.entry as string))];
  return [
    ...entries.map((name) => ({ name, entry: join(PROJECT_ROOT, 'lambda', 'handlers', `${name}.ts`), construct: constructIdOf(name), inBundleBytes: true })),
    { name: FALLBACK_ENTRY, entry: join(PROJECT_ROOT, 'lambda', 'handlers', `${FALLBACK_ENTRY}.ts`), construct: 'FallbackFunction', inBundleBytes: true },
    { name: 'baseline', entry: join(PROJECT_ROOT, 'bench', 'baseline-handler.ts'), construct: '', inBundleBytes: true },
    { name: ONE_ROUTE_FUNCTION, entry: join(PROJECT_ROOT, 'bench', 'one-route-function.ts'), construct: '', inBundleBytes: false },
    { name: UPLOAD_FLOOR, entry: join(PROJECT_ROOT, 'bench', 'upload-floor-handler.ts'), construct: '', inBundleBytes: false },
  ];
}

/** The bench's bare upload (bench/upload-floor-handler.ts): the upload function's own cold-start floor. */
export const UPLOAD_FLOOR = 'upload-floor';

/** The bench's FetchFunction-only function (bench/one-route-function.ts). */
export const ONE_ROUTE_FUNCTION = 'fetch-function-alone';

/** The bytes of each function's index.mjs in cdk.out (the last `cdk synth`), by construct id, if any. */
export function cdkOutBundleBytes(): Map<string, { bytes: number; modified: Date }> {
  const found = new Map<string, { bytes: number; modified: Date }>();
  const dir = join(PROJECT_ROOT, 'cdk.out');
  if (!existsSync(dir)) return found;
  for (const manifest of readdirSync(dir).filter((name) => name.endsWith('.assets.json'))) {
    const assets = JSON.parse(readFileSync(join(dir, manifest), 'utf8')) as { files?: Record<string, { displayName?: string; source?: { path?: string } }> };
    for (const asset of Object.values(assets.files ?? {})) {
      const construct = asset.displayName?.split('/')[0];
      const path = asset.source?.path ? join(dir, asset.source.path, 'index.mjs') : undefined;
      if (construct && path && existsSync(path)) {
        const stat = statSync(path);
        found.set(construct, { bytes: stat.size, modified: stat.mtime });
      }
    }
  }
  return found;
}
