/** Every runtime Twilio's API accepts, oldest first. */
export const RUNTIMES = ['node8', 'node10', 'node12', 'node14', 'node16', 'node18', 'node20', 'node22', 'node24'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** Runtimes Twilio has retired: a build on one of them ends `failed` with error 82007. */
export const RETIRED_RUNTIMES: readonly Runtime[] = ['node8', 'node10', 'node12', 'node14', 'node16', 'node18'];

export const DEFAULT_RUNTIME: Runtime = 'node22';

/**
 * The runtime of a new build: the one asked for, else the runtime of the service's most recent
 * completed build, else Twilio's default.
 */
export function resolveRuntime(requested: Runtime | undefined, lastCompleted: string | undefined): Runtime {
  if (requested) return requested;
  return (RUNTIMES as readonly string[]).includes(lastCompleted ?? '') ? (lastCompleted as Runtime) : DEFAULT_RUNTIME;
}
