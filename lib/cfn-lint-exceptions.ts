import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AspectPriority, Aspects, CfnResource, type IAspect, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The one list of cfn-lint rules the template may break, with their reasons and scopes (its $comment says how it is used). */
export const CFN_LINT_EXCEPTIONS_FILE = fileURLToPath(new URL('./cfn-lint-exceptions.json', import.meta.url));

/** One cfn-lint rule tolerated on some resources: those at `resources` (construct paths below the stack) and those of `resourceTypes`. */
export interface CfnLintException {
  rule: string;
  reason: string;
  resources?: string[];
  resourceTypes?: string[];
}

/** The exceptions of CFN_LINT_EXCEPTIONS_FILE. */
export function readCfnLintExceptions(file = CFN_LINT_EXCEPTIONS_FILE): CfnLintException[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { exceptions: CfnLintException[] }).exceptions;
}

/** The rules a resource of `stack` is exempt from. */
export function exemptRulesOf(resource: CfnResource, stack: Stack, exceptions: readonly CfnLintException[]): string[] {
  const path = resource.node.path.slice(stack.node.path.length + 1);
  return exceptions
    .filter((exception) => exception.resources?.includes(path) || exception.resourceTypes?.includes(resource.cfnResourceType))
    .map((exception) => exception.rule);
}

/** Writes each exception into the template as its resources' `Metadata.cfn-lint.config.ignore_checks`, which cfn-lint honours. */
class CfnLintExceptionsAspect implements IAspect {
  constructor(private readonly exceptions: readonly CfnLintException[]) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    const rules = exemptRulesOf(node, Stack.of(node), this.exceptions);
    if (rules.length > 0) node.addMetadata('cfn-lint', { config: { ignore_checks: rules } });
  }
}

/** Applies CFN_LINT_EXCEPTIONS_FILE to every resource of the stack, including resources added after this call. */
export function applyCfnLintExceptions(stack: Stack, exceptions: readonly CfnLintException[] = readCfnLintExceptions()): void {
  Aspects.of(stack).add(new CfnLintExceptionsAspect(exceptions), { priority: AspectPriority.MUTATING });
}
