import { describe, expect, it } from 'vitest';
import { PHASES, selectedPhases } from '../../bench/lib/phases';

describe('BENCH_PHASES', () => {
  it('runs every phase when unset or empty', () => {
    expect([...selectedPhases(undefined)]).toEqual([...PHASES]);
    expect([...selectedPhases(' ')]).toEqual([...PHASES]);
  });

  it('runs the named phases in run order', () => {
    expect([...selectedPhases('http, cold-init')]).toEqual(['cold-init', 'http']);
  });

  it('adds what the cost model prices', () => {
    expect([...selectedPhases('cost')]).toEqual(['overhead', 'lag', 'cost']);
  });

  it('refuses an unknown phase', () => {
    expect(() => selectedPhases('http,warp')).toThrow(/unknown phase warp/);
  });
});
