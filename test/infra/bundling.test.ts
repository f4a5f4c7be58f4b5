import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CfnElement } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FALLBACK_ENTRY, ROUTES } from '../../lambda/routes';
import { defineBuildsApp } from '../../lib/builds-app';
import type { BuildsStack } from '../../lib/builds-stack';
import { testApp } from '../support/cdk';

/*
 * One synth with bundling, as `cdk synth` runs it: esbuild (the local one, no Docker) builds
 * every function into an ES module the Lambda runtime can load.
 */

/** One function per distinct entry of ROUTES (a family's routes share it), plus the fallback. */
const ENTRIES = [...new Set<string>(ROUTES.map((route) => route.entry)), FALLBACK_ENTRY];

let outdir: string;
let stack: BuildsStack;
/** The bundle directory of each entry. */
const bundles = new Map<string, string>();

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'builds-bundle-'));
  // Asset metadata (which the CLI turns on) names each function's bundle directory; the
  // template checks are cdk-nag.test.ts's, so CloudFormation schema validation is skipped here.
  const app = testApp({ 'aws:cdk:enable-asset-metadata': true }, { bundle: true, props: { outdir, builtinCloudFormationValidation: false } });
  stack = defineBuildsApp(app);
  const assembly = app.synth();
  const template = JSON.parse(readFileSync(join(assembly.directory, assembly.getStackArtifact(stack.artifactId).templateFile), 'utf8'));
  for (const entry of ENTRIES) {
    const logicalId = stack.getLogicalId(stack.functions[entry]!.node.defaultChild as CfnElement);
    bundles.set(entry, join(assembly.directory, template.Resources[logicalId].Metadata['aws:asset:path'] as string));
  }
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('function bundles', () => {
  it.each(ENTRIES)('%s is a minified ES module with a require shim and a source map', (entry) => {
    const dir = bundles.get(entry)!;
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __bundleCreateRequire } from 'node:module';")).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(code.length / code.split('\n').length, 'minified: long lines').toBeGreaterThan(1000);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    expect(existsSync(join(dir, 'index.js')), 'no CommonJS output').toBe(false);
  });

  it.each([
    ['create-build', 'TransactWriteItems'],
    ['upload-version', 'PutObjectTagging'],
  ])('%s bundles its AWS SDK clients instead of relying on the runtime', (entry, operation) => {
    const code = readFileSync(join(bundles.get(entry)!, 'index.mjs'), 'utf8');
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(code).toContain(operation);
  });

  it.each(ENTRIES)('the %s bundle loads under Node as an ES module', async (entry) => {
    const module = (await import(pathToFileURL(join(bundles.get(entry)!, 'index.mjs')).href)) as { handler: unknown };
    expect(typeof module.handler).toBe('function');
  });

  it('the fallback bundle answers an unknown path with a Twilio 404', async () => {
    const { handler } = (await import(pathToFileURL(join(bundles.get(FALLBACK_ENTRY)!, 'index.mjs')).href)) as {
      handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
    };
    const response = await handler(
      {
        version: '2.0',
        routeKey: '$default',
        rawPath: '/v1/Nowhere',
        rawQueryString: '',
        headers: {},
        isBase64Encoded: false,
        requestContext: { http: { method: 'GET', path: '/v1/Nowhere' }, requestId: 'r1' },
      },
      {
        awsRequestId: 'req-1',
        functionName: 'fallback',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fallback',
        memoryLimitInMB: '256',
        logGroupName: '/aws/lambda/fallback',
        logStreamName: 'stream',
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => 10_000,
      },
    );
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toMatchObject({ code: 20404, status: 404 });
  });
});
