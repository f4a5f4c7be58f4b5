import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Every process under `pid`, from /proc (Linux), children first listed by their parent. */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

const alive = (pid: number): boolean => {
  try {
    // A zombie has exited: only its entry is left for its parent to reap.
    return !/^\d+ \([^)]*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('npm start', () => {
  // Two ways a stack is stopped, each its own path: a signal to npm alone (npm ends without passing
  // it on: the stack sees its parent gone; SIGINT there takes the same path), and a signal to the
  // whole group (each process gets it; SIGTERM there takes the same path). Each run boots a
  // DynamoDB Local of its own: seconds, so two runs and not the four combinations.
  it.each([
    ['SIGTERM', 'the npm process alone (a process manager, docker stop, a CI runner)', false],
    ['SIGINT', 'the process group (Ctrl-C)', true],
  ] as const)(
    'stops everything it started (API, DynamoDB Local, S3 server, poller) within 10 s of a %s to %s',
    async (signal, _, toGroup) => {
      const npm = spawn('npm', ['start'], {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, PORT: '0', POWERTOOLS_LOG_LEVEL: 'ERROR' },
        // A process group of its own, so that whatever a failure leaves can be cleaned up below.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      npm.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      npm.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      try {
        const deadline = Date.now() + 60_000;
        while (!/listening on (http:\S+)/.test(output)) {
          if (Date.now() > deadline || npm.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const baseUrl = /listening on (http:\S+)/.exec(output)![1]!;
        expect((await fetch(`${baseUrl}/v1/Services`)).status).toBe(401);
        const started = descendants(npm.pid!);
        // Under npm: the stack's node process (the start script execs it in place of the shell) and DynamoDB Local's Java at least.
        expect(started.length).toBeGreaterThanOrEqual(2);
        expect(started.some((pid) => /java/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')))).toBe(true);

        const signalled = Date.now();
        process.kill(toGroup ? -npm.pid! : npm.pid!, signal);
        while ([npm.pid!, ...started].some(alive) && Date.now() - signalled < 10_000) await new Promise((resolve) => setTimeout(resolve, 100));
        expect([npm.pid!, ...started].filter(alive), output).toEqual([]);
        await expect(fetch(`${baseUrl}/v1/Services`)).rejects.toThrow();
      } finally {
        try {
          process.kill(-npm.pid!, 'SIGKILL');
        } catch {
          // the group is gone: nothing was left
        }
      }
    },
    90_000,
  );
});
