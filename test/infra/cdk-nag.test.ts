import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { defineBuildsApp, STACK_ID } from '../../lib/builds-app';

const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The app exactly as bin/app.ts defines it, without bundling the functions. */
function newApp(): App {
  const outdir = mkdtempSync(join(tmpdir(), 'builds-nag-'));
  outdirs.push(outdir);
  return new App({ outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
}

const FUNCTIONS = ['CreateBuild', 'ListBuild', 'FetchBuild', 'DeleteBuild', 'FetchBuildStatus', 'Fallback'];
const ROUTE_CONSTRUCTS = [
  'POST--v1--Services--{ServiceSid}--Builds',
  'GET--v1--Services--{ServiceSid}--Builds',
  'GET--v1--Services--{ServiceSid}--Builds--{Sid}',
  'DELETE--v1--Services--{ServiceSid}--Builds--{Sid}',
  'GET--v1--Services--{ServiceSid}--Builds--{Sid}--Status',
  'DefaultRoute',
];

/** Every finding the stack acknowledges, by rule and resource: nothing more may be hidden. */
const ACKNOWLEDGED = [
  // X-Ray and Step Functions log delivery actions take no resource-level permissions.
  ...[...FUNCTIONS.map((fn) => `${fn}Role`), 'BuildWorkflow/Role'].map((role) => `AwsSolutions-IAM5[Resource::*] ${STACK_ID}/${role}/DefaultPolicy/Resource`),
  // Authentication is Twilio's HTTP Basic, checked by the handlers; $default serves no data.
  ...ROUTE_CONSTRUCTS.map((route) => `AwsSolutions-APIG4 ${STACK_ID}/HttpApi/${route}/Resource`),
  // The Express workflow logs errors only (every failed build), not every event of every build.
  `AwsSolutions-SF1 ${STACK_ID}/BuildWorkflow/Resource`,
].sort();

const findings = (report: ReturnType<AwsSolutionsChecks['validateScope']>) =>
  report.violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`)).sort();

describe('cdk-nag (AwsSolutions)', () => {
  it('synthesizes with the plugin and reports no unacknowledged findings', () => {
    const app = newApp();
    defineBuildsApp(app);
    // In a test, CDK throws when a validation plugin reports an error; warnings only print.
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName?: string; violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((plugin) => plugin.violations ?? [])).toEqual([]);
  });

  it('finds nothing when run directly on the app', () => {
    const app = newApp();
    defineBuildsApp(app);
    expect(findings(new AwsSolutionsChecks().validateScope(app))).toEqual([]);
  });

  it('acknowledges exactly the expected findings, each with a reason', () => {
    const reasons: string[] = [];
    const acknowledge = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation((...rules) => {
      reasons.push(...rules.map((rule) => rule.reason));
    });
    try {
      const app = newApp();
      defineBuildsApp(app);
      // With acknowledgments switched off, the findings are exactly the acknowledged ones: each
      // acknowledgment hides a real finding, and a new finding makes this test fail.
      expect(findings(new AwsSolutionsChecks().validateScope(app))).toEqual(ACKNOWLEDGED);
    } finally {
      acknowledge.mockRestore();
    }
    expect(reasons).toHaveLength(ACKNOWLEDGED.length);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(30);
  });
});
