import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, type CfnElement, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ROUTES } from '../../lambda/routes';
import { defineBuildsApp, STACK_ID } from '../../lib/builds-app';
import type { BuildsStack } from '../../lib/builds-stack';
import { testApp } from '../support/cdk';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The app exactly as bin/app.ts defines it, without bundling the functions. */
function newApp(context: Record<string, unknown> = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), 'builds-nag-'));
  outdirs.push(outdir);
  return testApp(context, { props: { outdir } });
}

/** The functions with access to the content bucket (builds-stack.test.ts checks this against their code). */
const CONTENT_FUNCTIONS = ['services', 'functions', 'upload-version'];

/** Every finding the stack acknowledges, by rule and resource: nothing more may be hidden. */
function acknowledged(stack: BuildsStack): string[] {
  const policyOf = (entry: string) => `${stack.functions[entry]!.role!.node.path}/DefaultPolicy/Resource`;
  const bucketId = stack.getLogicalId(stack.contentBucket.node.defaultChild as CfnElement);
  return [
    // The workflows' X-Ray and log delivery actions take no resource-level permissions (the functions have no active tracing).
    ...[`${STACK_ID}/BuildWorkflow/Role/DefaultPolicy/Resource`, `${STACK_ID}/BuildEvents/Workflow/Role/DefaultPolicy/Resource`].map(
      (policy) => `AwsSolutions-IAM5[Resource::*] ${policy}`,
    ),
    // Content objects are keyed by SIDs under services/: the grant is that prefix.
    ...CONTENT_FUNCTIONS.map((entry) => `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/services/*] ${policyOf(entry)}`),
    // Authentication is Twilio's HTTP Basic, checked by the handlers; $default serves no data.
    ...[...ROUTES.map((route) => `${route.method}${route.path.replaceAll('/', '--')}`), 'DefaultRoute'].map(
      (route) => `AwsSolutions-APIG4 ${STACK_ID}/HttpApi/${route}/Resource`,
    ),
    // The pipe lists the table's streams (stream/*: the label is DynamoDB's); its queue is the dead-letter queue.
    ...['BuildPipeRole', 'BuildEvents/PipeRole'].map(
      (role) =>
        `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(stack.table.node.defaultChild as CfnElement)}.Arn>/stream/*] ${STACK_ID}/${role}/DefaultPolicy/Resource`,
    ),
    `AwsSolutions-SQS3 ${STACK_ID}/PipeDeadLetters/Resource`,
    `AwsSolutions-SQS3 ${STACK_ID}/BuildEvents/DeadLetters/Resource`,
    `AwsSolutions-SF1 ${STACK_ID}/BuildEvents/Workflow/Resource`,
    // The Express workflow logs errors only (every failed build), not every event of every build.
    `AwsSolutions-SF1 ${STACK_ID}/BuildWorkflow/Resource`,
    // The API's access logs and the function logs record every use of the content bucket.
    `AwsSolutions-S1 ${STACK_ID}/ContentBucket/Resource`,
  ].sort();
}

const findings = (report: ReturnType<AwsSolutionsChecks['validateScope']>) =>
  report.violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`)).sort();

describe('cdk-nag (AwsSolutions)', () => {
  it.each([{}, { removalPolicy: 'destroy' }, { alarmEmail: 'ops@example.com' }])(
    'synthesizes with the plugin and reports no unacknowledged findings (context %o)',
    (context) => {
      const app = newApp(context);
      defineBuildsApp(app);
      // In a test, CDK throws when a validation plugin reports an error; warnings only print.
      const assembly = app.synth();
      const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
        pluginReports: { pluginName?: string; violations?: unknown[] }[];
      };
      expect(report.pluginReports.flatMap((plugin) => plugin.violations ?? [])).toEqual([]);
    },
  );

  it('finds nothing when run directly on the app', () => {
    const app = newApp();
    defineBuildsApp(app);
    expect(findings(new AwsSolutionsChecks().validateScope(app))).toEqual([]);
  });

  it('acknowledges exactly the expected findings, each with a reason', () => {
    const reasons: string[] = [];
    let expected: string[] = [];
    const acknowledge = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation((...rules) => {
      reasons.push(...rules.map((rule) => rule.reason));
    });
    try {
      const app = newApp();
      const stack = defineBuildsApp(app);
      expected = acknowledged(stack);
      // With acknowledgments switched off, the findings are exactly the acknowledged ones: each
      // acknowledgment hides a real finding, and a new finding makes this test fail.
      expect(findings(new AwsSolutionsChecks().validateScope(app))).toEqual(expected);
    } finally {
      acknowledge.mockRestore();
    }
    expect(reasons).toHaveLength(expected.length);
    // One line each, that says why.
    for (const reason of reasons) {
      expect(reason.length).toBeGreaterThan(30);
      expect(reason).not.toContain('\n');
    }
  });
});
