import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIGURES, statusOf } from '../../bench/lib/figures';
import { figuresTable, generatedFiles, MARKERS, TARGET_FILES, withBlock } from '../../bench/report';

const ROOT = join(import.meta.dirname, '..', '..');
const figure = (key: string) => FIGURES.find((candidate) => candidate.key === key)!;

describe('the published benchmark figures', () => {
  it.each(Object.keys(TARGET_FILES))('%s carries the tables bench/results.json and bench/cost.json generate (run `npx tsx bench/report.ts`)', (file) => {
    expect(readFileSync(join(ROOT, file), 'utf8')).toBe(generatedFiles(ROOT)[file]);
  });

  it('puts every figure of the results file in a row with its value, target, floor and status', () => {
    const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results.json'), 'utf8')) as Record<string, unknown>;
    const table = figuresTable(results);
    for (const each of FIGURES) expect(table).toMatch(new RegExp(`^\\| \`${each.key}\` +\\| `, 'm'));
    expect(table.split('\n')).toHaveLength(FIGURES.length + 2);
  });

  it('changes when a figure changes', () => {
    const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results.json'), 'utf8')) as Record<string, unknown>;
    expect(figuresTable({ ...results, completion_lag_p99_ms: 123.4 })).not.toBe(figuresTable({ ...results, completion_lag_p99_ms: 567.8 }));
  });
});

describe("a figure's status", () => {
  it('is MISSED just past its target, as the bench prints it (1.101 against ≤ 1.10 is not "at the edge")', () => {
    expect(statusOf(figure('handler_overhead_ratio_p50'), { handler_overhead_ratio_p50: 1.101 })).toBe('MISSED');
    expect(statusOf(figure('handler_overhead_ratio_p50'), { handler_overhead_ratio_p50: 1.1 })).toBe('met');
  });

  it('is MISSED for an HTTP ratio met with non-2xx answers', () => {
    expect(statusOf(figure('http_ratio'), { http_ratio: 0.9, http_non_2xx: 0 })).toBe('met');
    expect(statusOf(figure('http_ratio'), { http_ratio: 0.9, http_non_2xx: 3 })).toBe('MISSED');
  });

  it('is MISSED when any function’s cold init misses, not only the create’s', () => {
    expect(statusOf(figure('cold_init_ratio_by_function'), { cold_init_ratio_by_function: { 'create-build': 1.1, 'upload-version': 1.5 } })).toBe('MISSED');
  });

  it('compares a Status poll with its own floor × 1.10', () => {
    const poll = figure('cost_per_million_status_polls_usd');
    expect(statusOf(poll, { cost_per_million_status_polls_usd: 1.39, cost_floor_per_million_status_polls_usd: 1.27 })).toBe('met');
    expect(statusOf(poll, { cost_per_million_status_polls_usd: 1.4, cost_floor_per_million_status_polls_usd: 1.27 })).toBe('MISSED');
  });

  it('is "not measured" when the results lack the figure', () => {
    expect(statusOf(figure('build_item_bytes'), {})).toBe('not measured');
  });
});

describe('the generated block', () => {
  it('replaces only what is between the markers, and refuses a file without them', () => {
    const [begin, end] = MARKERS.figures;
    expect(withBlock(`a\n${begin}\nold\n${end}\nb`, 'figures', 'new', 'f')).toBe(`a\n${begin}\nnew\n${end}\nb`);
    expect(() => withBlock('no markers', 'figures', 'new', 'f')).toThrow(/no figures block/);
  });
});
