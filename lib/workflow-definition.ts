import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The one workflow definition, used by the CDK stack and by the local stack. */
export const WORKFLOW_DEFINITION_FILE = fileURLToPath(new URL('./build-workflow.asl.json', import.meta.url));

/** Values substituted into `${Name}` placeholders, as CloudFormation's DefinitionSubstitutions does. */
export interface WorkflowSubstitutions {
  TableName: string;
  BuildWaitSeconds: string;
}

/**
 * The definition after substitution. On AWS, Step Functions substitutes (CDK passes
 * `definitionSubstitutions`); locally this function does the same textual replacement.
 */
export function renderWorkflowDefinition(substitutions: WorkflowSubstitutions): Record<string, unknown> {
  const text = readFileSync(WORKFLOW_DEFINITION_FILE, 'utf8').replace(/\$\{(\w+)\}/g, (placeholder, name: string) => {
    const value = substitutions[name as keyof WorkflowSubstitutions];
    if (value === undefined) throw new Error(`No substitution for ${placeholder} in ${WORKFLOW_DEFINITION_FILE}`);
    return value;
  });
  return JSON.parse(text) as Record<string, unknown>;
}
