/** The bench's phases in run order, as BENCH_PHASES names them. */
export const PHASES = ['overhead', 'cold-init', 'http', 'lag', 'uploads', 'deploy', 'api-key-auth', 'cost'] as const;
export type Phase = (typeof PHASES)[number];

/** The phases a run runs: all when BENCH_PHASES is empty, else the named ones in run order with what `cost` prices; throws on an unknown name. */
export function selectedPhases(setting: string | undefined): Set<Phase> {
  if (!setting?.trim()) return new Set(PHASES);
  const named = setting.split(',').map((name) => name.trim());
  const unknown = named.filter((name) => !(PHASES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_PHASES: unknown phase ${unknown.join(', ')} (phases: ${PHASES.join(', ')})`);
  const selected = new Set(named as Phase[]);
  if (selected.has('cost')) for (const needed of ['overhead', 'lag'] as const) selected.add(needed);
  return new Set(PHASES.filter((phase) => selected.has(phase)));
}
