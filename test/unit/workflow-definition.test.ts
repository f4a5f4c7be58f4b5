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
  ResultPath?: string | null;
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
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

  it('fits the worst case of every path in an Express execution (5 minutes): every retrying state exhausted, the longest wait', () => {
    type Retrier = { IntervalSeconds?: number; BackoffRate?: number; MaxAttempts?: number; MaxDelaySeconds?: number };
    type Node = State & { Next?: string; Default?: string; End?: boolean; Seconds?: number; SecondsPath?: string; Retry?: Retrier[] };
    const nodes = states as Record<string, Node>;
    /** Seconds of backoff a state's retriers can add (FULL jitter waits at most the computed delay), and its attempts. */
    const retries = (state: Node) => {
      let seconds = 0;
      let attempts = 1;
      for (const retrier of state.Retry ?? []) {
        const { IntervalSeconds = 1, BackoffRate = 2, MaxAttempts = 3, MaxDelaySeconds = Number.POSITIVE_INFINITY } = retrier;
        for (let k = 0; k < MaxAttempts; k++) seconds += Math.min(MaxDelaySeconds, IntervalSeconds * BackoffRate ** k);
        attempts += MaxAttempts;
      }
      return { seconds, attempts };
    };
    const next = (state: Node): string[] =>
      [state.Next, state.Default, ...(state.Choices ?? []).map((choice) => choice.Next), ...(state.Catch ?? []).map((c) => c.Next)].filter(
        (name): name is string => Boolean(name),
      );
    /** The longest path from a state: backoff seconds, DynamoDB call attempts, and the states on it (the graph must have no cycle). */
    const longest = (name: string, seen: string[] = []): { seconds: number; attempts: number; path: string[] } => {
      expect(seen, 'the workflow has no loop').not.toContain(name);
      const state = nodes[name]!;
      const own = retries(state);
      const wait = state.Type === 'Wait' ? (state.SecondsPath ? MAX_BUILD_WAIT_SECONDS : (state.Seconds ?? 0)) : 0;
      const tails = next(state).map((following) => longest(following, [...seen, name]));
      const tail = tails.sort((a, b) => b.seconds - a.seconds || b.attempts - a.attempts)[0] ?? { seconds: 0, attempts: 0, path: [] };
      return {
        seconds: own.seconds + wait + tail.seconds,
        attempts: (state.Type === 'Task' ? own.attempts : 0) + tail.attempts,
        path: [name, ...tail.path],
      };
    };
    const worst = longest(definition.StartAt as string);
    // Every retrying Task is on the worst path or on a shorter one; the wait is read from the input (at most MAX_BUILD_WAIT_SECONDS).
    expect(worst.path).toEqual(expect.arrayContaining(['CountBuild', 'WaitForBuild', 'CompleteBuild']));
    const timeout = definition.TimeoutSeconds as number;
    expect(timeout).toBeLessThanOrEqual(300);
    expect(worst.seconds, worst.path.join(' → ')).toBeLessThan(timeout);
    // What is left is the time the DynamoDB calls themselves may take: at least 1 s for each attempt on that path.
    expect((timeout - worst.seconds) / worst.attempts).toBeGreaterThanOrEqual(1);
  });

  it("takes the build's input from the pipe's batch of one (Pipes hands Step Functions a JSON array)", () => {
    expect(definition.StartAt).toBe('TakeBuildFromBatch');
    expect(states.TakeBuildFromBatch).toMatchObject({ Type: 'Pass', InputPath: '$[0]', Next: 'ReadConfiguration' });
  });

  it("keeps the build's input through every Task and every Catch, so that the next state (MarkBuildFailed too) can still address the build", () => {
    const input = Object.keys(
      workflowInput({ sid: 'ZB1', account_sid: 'AC1', service_sid: 'ZS1', runtime: 'node22', date_created: '2026-11-27T20:00:00.000Z' }),
    );
    // A missing ResultPath is "$": the result or the error would replace the input.
    const keepsInput = (resultPath: string | null | undefined) =>
      resultPath === null || (typeof resultPath === 'string' && /^\$\.\w+$/.test(resultPath) && !input.includes(resultPath.slice(2)));
    for (const [name, state] of Object.entries(states).filter(([, s]) => s.Type === 'Task')) {
      expect(keepsInput(state.ResultPath), `${name} ResultPath ${state.ResultPath}`).toBe(true);
      for (const caught of state.Catch ?? [])
        expect(keepsInput(caught.ResultPath), `${name} Catch → ${caught.Next} ResultPath ${caught.ResultPath}`).toBe(true);
    }
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
