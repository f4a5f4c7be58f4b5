import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { STATUS_RETRY_BUDGET_MS, STATUS_RETRY_RESERVE_MS } from '../../lambda/handlers/fetch-build-status';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** README.md and every docs/*.md, by path relative to the project root: the prose that states the figures. */
function documentation(): Array<{ file: string; text: string }> {
  const docs = join(ROOT, 'docs');
  const files = [
    'README.md',
    ...(existsSync(docs)
      ? readdirSync(docs)
          .filter((name) => name.endsWith('.md'))
          .map((name) => `docs/${name}`)
      : []),
  ];
  // One space for every run of whitespace: a sentence reads the same however it is wrapped.
  return files.map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8').replace(/\s+/g, ' ') }));
}

describe("Build Status's retry budget is the one the documentation states", () => {
  // "… Status retries transient DynamoDB failures (jittered backoff, for up to 22 s, keeping 2 s of …"
  const STATED = /Status retries transient DynamoDB failures[^.]*? up to (\d+(?:\.\d+)?) s\b[^.]*? keeping (\d+(?:\.\d+)?) s\b/g;
  // "… Build Status answers `503` when DynamoDB stays unreachable past its 22 s budget …"
  const GIVES_UP = /unreachable past its (\d+(?:\.\d+)?) s budget/g;

  const statements = documentation().flatMap(({ file, text }) => [
    ...[...text.matchAll(STATED)].map((match) => ({ file, sentence: match[0], budgetS: Number(match[1]), reserveS: Number(match[2]) })),
    ...[...text.matchAll(GIVES_UP)].map((match) => ({ file, sentence: match[0], budgetS: Number(match[1]), reserveS: undefined })),
  ]);

  it('finds the sentence that names STATUS_RETRY_BUDGET_MS in README.md or docs/*.md', () => {
    expect(statements.filter(({ sentence }) => sentence.includes('`STATUS_RETRY_BUDGET_MS`')).map(({ file }) => file)).not.toEqual([]);
  });

  it('states STATUS_RETRY_BUDGET_MS and STATUS_RETRY_RESERVE_MS wherever it states the budget and the reserve', () => {
    for (const { file, sentence, budgetS, reserveS } of statements) {
      expect(budgetS * 1000, `${file}: "${sentence}"`).toBe(STATUS_RETRY_BUDGET_MS);
      if (reserveS !== undefined) expect(reserveS * 1000, `${file}: "${sentence}"`).toBe(STATUS_RETRY_RESERVE_MS);
    }
  });
});
