import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The one build workflow definition, used by the CDK stack and by the local stack. */
export const WORKFLOW_DEFINITION_FILE = fileURLToPath(new URL('./build-workflow.asl.json', import.meta.url));

/** Values substituted into `${Name}` placeholders, as CloudFormation's DefinitionSubstitutions does. */
export interface WorkflowSubstitutions {
  TableName: string;
  BuildWaitSeconds: string;
}

/**
 * A definition file after substitution. On AWS, Step Functions substitutes (CDK passes
 * `definitionSubstitutions`); locally this function does the same textual replacement.
 */
export function renderDefinition(file: string, substitutions: Readonly<Record<string, string>>): Record<string, unknown> {
  const text = readFileSync(file, 'utf8').replace(/\$\{(\w+)\}/g, (placeholder, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`No substitution for ${placeholder} in ${file}`);
    return value;
  });
  return JSON.parse(text) as Record<string, unknown>;
}

/** The build workflow's definition after substitution (see renderDefinition). */
export function renderWorkflowDefinition(substitutions: WorkflowSubstitutions): Record<string, unknown> {
  return renderDefinition(WORKFLOW_DEFINITION_FILE, { ...substitutions });
}
