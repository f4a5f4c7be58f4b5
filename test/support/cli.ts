import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) if (child.pid) process.kill(-child.pid, 'SIGKILL');
});

/**
 * Runs one of the project's scripts (`tsx scripts/<name>.ts …`, what `npm run <name> -- …` runs)
 * with this test's Node, from the repository root, with `clear` removed from and `env` added to
 * the environment.
 */
export const runScript = (script: string, args: string[], env: Record<string, string> = {}, clear: string[] = []): Promise<Run> =>
  run(process.execPath, ['--import', 'tsx', script, ...args], env, clear);

/** Runs a command from the repository root, with `clear` removed from and `env` added to the environment. */
export function run(command: string, args: string[], env: Record<string, string> = {}, clear: string[] = []): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of clear) delete childEnv[name];
  return new Promise((resolve, reject) => {
    // In a process group of its own, so that one cut short (a timeout) is ended with all it started.
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...childEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Where an in-process command writes (its `console.log` and `console.error`). */
export interface CommandOutput {
  log(text: string): void;
  error(text: string): void;
}

/**
 * Runs a script's command in this process (what the script runs when started, with the same
 * arguments), capturing what it would print to stdout and stderr, line by line, as a `Run`.
 */
export async function runInProcess(command: (argv: string[], output: CommandOutput) => Promise<number>, args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await command(args, {
    log: (text) => {
      stdout += `${text}\n`;
    },
    error: (text) => {
      stderr += `${text}\n`;
    },
  });
  return { code, stdout, stderr };
}
