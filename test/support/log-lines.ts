/** Reading a service process's output as log lines: which are not JSON, which speak of Redis or its connection. */
import type { ServiceProcess } from './service-process.ts';

export interface OutputMark {
  out: number;
  err: number;
}

/** Where a process's output stands now, to read only what it writes from here on (`writtenSince`). */
export function outputMark(p: ServiceProcess): OutputMark {
  return { out: p.stdout().length, err: p.stderr().length };
}

/** What the process wrote since `mark`, stdout then stderr. */
export function writtenSince(p: ServiceProcess, mark: OutputMark): string {
  return `${p.stdout().slice(mark.out)}\n${p.stderr().slice(mark.err)}`;
}

/** Every line of `output` that is not one JSON object (a raw stack trace, a console.error from a library). */
export function nonJsonLines(output: string): string[] {
  return lines(output).filter((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return typeof parsed !== 'object' || parsed === null;
    } catch {
      return true;
    }
  });
}

/** What a line about the Redis connection says somewhere in it: its name, a socket's error, or a refused write. */
const ABOUT_REDIS = /redis|ECONNREFUSED|ECONNRESET|EPIPE|Connection is closed|READONLY|worker error/i;

/** The lines of `output` about Redis or its connection (JSON or not). */
export function redisLogLines(output: string): string[] {
  return lines(output).filter((line) => ABOUT_REDIS.test(line));
}

function lines(output: string): string[] {
  return output.split('\n').filter((line) => line.trim() !== '');
}
