import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { RETIRED_RUNTIMES } from '../../lambda/domain/runtime';
import { workflowInput } from '../../lambda/domain/workflow-input';
import { MAX_BUILD_WAIT_SECONDS } from '../../lib/stack-config';
import { renderWorkflowDefinition, WORKFLOW_DEFINITION_FILE } from '../../lib/workflow-definition';

type State = {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Choices?: { Or: { StringEquals: string }[]; Next: string }[];
};
const definition = renderWorkflowDefinition({ TableName: 'builds', BuildWaitSeconds: '10' });
const states = definition.States as Record<string, State>;

describe('the build workflow definition', () => {
  it('is valid Amazon States Language', () => {
    const result = aslValidator(definition as never);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('would be reported invalid if broken (the validator can fail)', () => {
    const broken = structuredClone(definition) as { States: Record<string, { Next?: string }> };
    broken.States.WaitForBuild!.Next = 'NoSuchState';
    expect(aslValidator(broken as never).isValid).toBe(false);
  });

  it('has a placeholder for every substitution and nothing left after it', () => {
    const text = readFileSync(WORKFLOW_DEFINITION_FILE, 'utf8');
    expect(new Set(text.match(/\$\{\w+\}/g))).toEqual(new Set(['${TableName}', '${BuildWaitSeconds}']));
    expect(JSON.stringify(definition)).not.toMatch(/\$\{/);
    expect(() => renderWorkflowDefinition({ TableName: 'x' } as never)).toThrow(/BuildWaitSeconds/);
  });

  it('uses JSONPath only (JSONata is not run by the local runner)', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('reads only fields that the create handler puts in the execution input', () => {
    const input = workflowInput({ sid: 'ZB1', account_sid: 'AC1', service_sid: 'ZS1', runtime: 'node22', date_created: '2026-11-27T20:00:00.000Z' });
    const read = new Set([...JSON.stringify(definition).matchAll(/(?<!\$)\$\.(\w+)/g)].map((match) => match[1]));
    // `config` and `error` are written by the definition's own ResultPaths.
    for (const field of read) if (field !== 'config' && field !== 'error') expect(Object.keys(input), field).toContain(field);
    expect(read.size).toBeGreaterThan(3);
  });

  it('fails exactly the retired runtimes', () => {
    const choice = states.CheckRuntime!.Choices![0]!;
    expect(choice.Or.map((rule) => rule.StringEquals)).toEqual(RETIRED_RUNTIMES);
    expect(choice.Next).toBe('FailUnsupportedRuntime');
  });

  it('calls DynamoDB UpdateItem directly in every Task (no Lambda in the loop), on the substituted table', () => {
    const tasks = Object.values(states).filter((state) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks) {
      expect(task.Resource).toBe('arn:aws:states:::dynamodb:updateItem');
      expect(task.Parameters?.TableName).toBe('builds');
    }
  });

  it('flips building to completed only while the build is still building', () => {
    expect(states.CompleteBuild!.Parameters).toMatchObject({
      UpdateExpression: 'SET #status = :completed, date_updated = :now',
      ConditionExpression: '#status = :building',
    });
  });

  it('fits the longest wait and the worst-case retries of two tasks in an Express execution (5 minutes)', () => {
    type Retrier = { IntervalSeconds: number; BackoffRate: number; MaxAttempts: number; MaxDelaySeconds: number };
    const worstRetries = (state: string) => {
      const retrier = (states[state]!.Retry as unknown as Retrier[])[0]!;
      return Array.from({ length: retrier.MaxAttempts }, (_, k) =>
        Math.min(retrier.MaxDelaySeconds, retrier.IntervalSeconds * retrier.BackoffRate ** k),
      ).reduce((a, b) => a + b, 0);
    };
    const timeout = definition.TimeoutSeconds as number;
    expect(timeout).toBeLessThanOrEqual(300);
    expect(MAX_BUILD_WAIT_SECONDS + worstRetries('CompleteBuild') + worstRetries('MarkBuildFailed')).toBeLessThan(timeout);
  });

  it('retries throttling on every Task and ends failed once retries are exhausted', () => {
    for (const [name, state] of Object.entries(states).filter(([, s]) => s.Type === 'Task')) {
      expect(state.Retry?.[0]?.ErrorEquals, name).toContain('DynamoDB.ProvisionedThroughputExceededException');
    }
    expect(states.CompleteBuild!.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], Next: 'BuildNoLongerBuilding' }),
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'MarkBuildFailed' }),
    ]);
  });
});
