/**
 * ffmpeg and ffprobe as bounded child processes: a file from a stranger must not hang the worker or swell it. Each run
 * has a deadline (SIGKILL past it), an address-space limit, a cap on the bytes it may write to stdout, and only the
 * head of its stderr kept, for the log.
 *
 * The memory limit is `ulimit -v` in `/bin/sh` before `exec`: POSIX sh is on every machine that runs us (prlimit is
 * util-linux's, and a slim image may lack it), the limit is set before ffmpeg's first allocation, and `exec` keeps
 * the child's pid ffmpeg's own, so the SIGKILL reaches ffmpeg and not a shell.
 */
import { spawn } from 'node:child_process';

export interface BoundedRunLimits {
  /** Wall-clock time (Date.now()) past which the process is killed. */
  deadline: number;
  /** Address-space limit in MiB. */
  maxMemoryMb: number;
  /** Most bytes read from stdout; more kills the process. */
  maxStdoutBytes: number;
}

export interface BoundedRun {
  stdout: Buffer;
  /** The head of stderr (at most STDERR_KEPT characters), trimmed. */
  stderr: string;
  /** The exit code; null when a signal ended it. */
  code: number | null;
  /** Why we killed it, if we did. */
  killed: 'deadline' | 'stdout' | null;
}

/** Enough of ffmpeg's complaint to say what went wrong in a log line; the rest is repetition. */
const STDERR_KEPT = 2000;

/**
 * The child's whole environment: where to find the binary and its libraries, nothing of ours (the bot token stays
 * in this process). Two malloc arenas: glibc reserves 64 MiB of address space per arena, up to 8 per core, which
 * counts against `ulimit -v` without being used.
 */
const CHILD_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  ...(process.env.LD_LIBRARY_PATH ? { LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH } : {}),
  MALLOC_ARENA_MAX: '2',
};

/** Spawning failed: the binary is not there (ENOENT) or not runnable (EACCES). */
export class SpawnFailed extends Error {
  override readonly name = 'SpawnFailed';
}

export function runBounded(command: string, args: readonly string[], limits: BoundedRunLimits): Promise<BoundedRun> {
  const memoryKb = Math.max(1, Math.floor(limits.maxMemoryMb * 1024));
  // $0 is the command, "$@" its arguments: nothing of the file or the arguments is parsed by the shell.
  const child = spawn('/bin/sh', ['-c', `ulimit -v ${memoryKb} && exec "$0" "$@"`, command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: CHILD_ENV,
  });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let killed: BoundedRun['killed'] = null;
    const kill = (why: 'deadline' | 'stdout') => {
      if (killed === null) killed = why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('deadline'), Math.max(0, limits.deadline - Date.now()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > limits.maxStdoutBytes) kill('stdout');
      else chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (stderr.length < STDERR_KEPT) stderr = (stderr + text).slice(0, STDERR_KEPT);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new SpawnFailed(`${command}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      // sh reports a missing command as 127 and one it cannot run as 126: the same as a failed spawn.
      if ((code === 127 || code === 126) && stdoutBytes === 0 && killed === null) {
        reject(new SpawnFailed(`${command}: ${stderr.trim() || `exit ${code}`}`));
        return;
      }
      resolve({ stdout: Buffer.concat(chunks), stderr: stderr.trim(), code, killed });
    });
  });
}

/**
 * Decoder threads per ffmpeg, always set, never left to ffmpeg (which takes one per core): each thread reserves
 * address space, and on a 16-core machine a 4K decode with ffmpeg's own choice fails under the 1 GiB limit. Two
 * decode a 4K frame in time.
 */
export const DECODER_THREADS = '2';

/** ffmpeg's usual quiet flags: no prompt, no banner, errors only. */
export const QUIET = ['-nostdin', '-hide_banner', '-loglevel', 'error'] as const;

/**
 * What ffmpeg may open for a stranger's file: the file itself (no network, no other protocol) and the containers
 * phones and Telegram write. A playlist (HLS, concat) or an image sequence could otherwise make ffmpeg read another
 * file of this machine into the frames, and the frame is shown back to the person.
 */
export const INPUT_SAFETY = [
  '-protocol_whitelist',
  'file',
  '-format_whitelist',
  'mov,matroska,gif,avi,mpegts,flv,ogg,mpeg,asf',
] as const;
