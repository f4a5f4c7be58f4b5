import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BuildsStack } from '../lib/builds-stack';
import { settingsFromContext } from '../lib/stack-config';

/**
 * The CDK app: one environment-agnostic stack (no account or region lookups, so `cdk synth`
 * runs offline without credentials). Settings come from context: `cdk synth -c stage=dev`.
 */
const app = new App();
const settings = settingsFromContext(app);

new BuildsStack(app, 'TwilioServerlessBuilds', {
  stackName: `TwilioServerlessBuilds-${settings.stage}`,
  description: `Twilio-compatible Serverless Builds API (${settings.stage})`,
  settings,
});

// cdk-nag 3 is a policy validation plugin: every synth checks the app against the AWS Solutions
// rules, prints unacknowledged findings, and fails on errors.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
