import { type CfnElement, CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BuildsStack } from '../../lib/builds-stack';
import { readCfnLintExceptions } from '../../lib/cfn-lint-exceptions';
import { settingsFromContext } from '../../lib/stack-config';
import { testApp } from '../support/cdk';

type Json = Record<string, any>;

/** The stack without bundling, as `cdk synth` renders it otherwise. */
const app = testApp();
const stack = new BuildsStack(app, 'TwilioServerlessBuilds', { settings: settingsFromContext(app) });
const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
const idOf = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const exceptions = readCfnLintExceptions();

/** The logical ids of the resources whose metadata exempts them from `rule`. */
const exemptFrom = (rule: string) =>
  Object.entries(resources)
    .filter(([, resource]) => resource.Metadata?.['cfn-lint']?.config?.ignore_checks?.includes(rule))
    .map(([id]) => id)
    .sort();
const ofTypes = (...types: string[]) =>
  Object.entries(resources)
    .filter(([, resource]) => types.includes(resource.Type))
    .map(([id]) => id)
    .sort();

describe('cfn-lint exceptions (lib/cfn-lint-exceptions.json), written into the template', () => {
  it('lists each rule once, with its reason and a scope', () => {
    expect(exceptions.map((exception) => exception.rule).sort()).toEqual(['E3002', 'W3005']);
    for (const exception of exceptions) {
      expect(exception.reason.length, exception.rule).toBeGreaterThan(40);
      expect([...(exception.resources ?? []), ...(exception.resourceTypes ?? [])], exception.rule).not.toEqual([]);
    }
  });

  it('names only resources the stack has: a renamed construct fails here, not silently in the linter', () => {
    const paths = stack.node
      .findAll()
      .filter((construct) => construct instanceof CfnResource)
      .map((construct) => construct.node.path.slice(stack.node.path.length + 1));
    for (const path of exceptions.flatMap((exception) => exception.resources ?? [])) expect(paths).toContain(path);
    for (const type of exceptions.flatMap((exception) => exception.resourceTypes ?? [])) expect(ofTypes(type)).not.toEqual([]);
  });

  it("exempts the dashboard, and only the dashboard, from E3002 (its Tags, which cfn-lint 1.51's us-east-1 schema lacks)", () => {
    const dashboard = idOf(stack.operations.dashboard);
    expect(resources[dashboard]!.Properties.Tags).toBeDefined();
    expect(exemptFrom('E3002')).toEqual([dashboard]);
    expect(resources[dashboard]!.Metadata['cfn-lint']).toEqual({ config: { ignore_checks: ['E3002'] } });
  });

  it("exempts from W3005 exactly the functions and workflows (aws-cdk-lib's DependsOn on their roles), nothing else", () => {
    expect(exemptFrom('W3005')).toEqual(ofTypes('AWS::Lambda::Function', 'AWS::StepFunctions::StateMachine'));
    expect(exemptFrom('W3005').length).toBeGreaterThanOrEqual(Object.keys(stack.functions).length + 2);
  });

  it("makes each pipe depend on its role's policy only (the role is a GetAtt already): no W3005 of ours", () => {
    const pipes = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::Pipes::Pipe');
    expect(pipes).toHaveLength(2);
    for (const [, pipe] of pipes) {
      const role = pipe.Properties.RoleArn['Fn::GetAtt'][0] as string;
      const [policy, ...others] = Object.entries(resources).filter(
        ([, resource]) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles) === JSON.stringify([{ Ref: role }]),
      );
      expect(others).toEqual([]);
      expect(pipe.DependsOn).toEqual([policy![0]]);
    }
  });
});
