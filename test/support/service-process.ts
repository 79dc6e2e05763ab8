/**
 * The service as separate processes (`src/main.ts bot|worker|all`), the way it is deployed: for tests that kill a
 * process, restart Redis under it, or measure each process's memory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MODELS_DIR, ROOT } from './paths.ts';

const MAIN = path.join(ROOT, 'src/main.ts');
const CLI = path.join(ROOT, 'src/cli/main.ts');
// Resolved here: a bare `--import tsx` would be looked up from the child's working folder.
const TSX = import.meta.resolve('tsx');

export interface ServiceProcess {
  role: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout (JSON log lines) and stderr. */
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Resolves when a log line (stdout or stderr) matches (rejects after the timeout, with the last lines). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Peak resident memory so far (VmHWM), in bytes; call while the process runs. */
  peakRssBytes(): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnService(role: 'bot' | 'worker' | 'all', env: Record<string, string>, cwd = ROOT): ServiceProcess {
  return spawnTsx(role, [MAIN, role], env, cwd);
}

/** `dog-breeds <args…>` (src/cli/main.ts) as a process, watched like a service. */
export function spawnCli(args: string[], env: Record<string, string>): ServiceProcess {
  return spawnTsx(`dog-breeds ${args[0] ?? ''}`, [CLI, ...args], env, ROOT);
}

function spawnTsx(role: string, args: string[], env: Record<string, string>, cwd: string): ServiceProcess {
  const child = spawn(process.execPath, ['--import', TSX, ...args], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      MODELS_DIR,
      DEVICE: 'cpu',
      OPS_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    role,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(pattern, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(out) && !pattern.test(err)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `${role}: no log line matching ${pattern} in ${timeoutMs} ms; last output:\n${out.slice(-1500)}${err.slice(-1500)}`,
            ),
          );
        }, timeoutMs);
        const gone = () => {
          cleanup();
          reject(new Error(`${role} exited before logging ${pattern}:\n${out.slice(-1500)}${err.slice(-1500)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', gone);
        };
        listeners.add(check);
        child.once('exit', gone);
        check();
      });
    },
    async peakRssBytes() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
      if (kb === undefined) throw new Error(`no VmHWM for ${role} (pid ${child.pid})`);
      return Number(kb) * 1024;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export const MB = 1024 * 1024;

/** A bot process and a worker process, returned once the bot polls and the worker's model is loaded. */
export async function startBotAndWorker(
  env: Record<string, string>,
  workerEnv: Record<string, string> = {},
): Promise<{ bot: ServiceProcess; worker: ServiceProcess }> {
  const bot = spawnService('bot', env);
  const worker = spawnService('worker', { ...env, ...workerEnv });
  try {
    await Promise.all([bot.waitForLog(/"bot polling"/), worker.waitForLog(/"model loaded"/)]);
  } catch (error) {
    await Promise.all([bot.stop('SIGKILL'), worker.stop('SIGKILL')]);
    throw error;
  }
  return { bot, worker };
}
