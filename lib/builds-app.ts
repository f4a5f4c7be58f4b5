import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BuildsStack } from './builds-stack';
import { settingsFromContext } from './stack-config';

/** The construct id (and `cdk deploy` name) of the one stack; its CloudFormation name adds the stage. */
export const STACK_ID = 'TwilioServerlessBuilds';

/**
 * Adds the Builds API to an app, as `cdk synth` builds it (bin/app.ts) and as the infra tests
 * do: one environment-agnostic stack (no account or region lookups, so synth runs offline
 * without credentials), settings from context (`cdk synth -c stage=dev`), and cdk-nag.
 */
export function defineBuildsApp(app: App): BuildsStack {
  const settings = settingsFromContext(app);
  const stack = new BuildsStack(app, STACK_ID, {
    stackName: `${STACK_ID}-${settings.stage}`,
    description: `Twilio-compatible Serverless Builds API (${settings.stage})`,
    settings,
  });
  // cdk-nag 3 is a policy validation plugin (not an Aspect): every synth checks the app against
  // the AWS Solutions rules, prints unacknowledged findings and fails on any error-level one.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
