import { readFileSync } from 'node:fs';
import { App, type AppProps } from 'aws-cdk-lib';

/** The context of cdk.json (its feature flags): what `cdk synth` gives the app. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;

/**
 * A CDK app as `cdk synth` makes it (cdk.json's context), with `context` on top. The functions are
 * not bundled (no esbuild run per synth) unless `bundle` is set; `props` are the App's other props.
 */
export function testApp(context: Record<string, unknown> = {}, options: { bundle?: boolean; props?: Omit<AppProps, 'context'> } = {}): App {
  return new App({
    ...options.props,
    context: { ...CDK_JSON_CONTEXT, ...context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
}
