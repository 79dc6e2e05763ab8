/**
 * Temporary folders of one test file, made under the OS's temp folder with a `dog-breeds-` prefix and removed together
 * in the file's `after` hook, so that no run leaves `/tmp/dog-breeds-*` behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempDirs {
  /** A new empty folder, `/tmp/dog-breeds-<name>-XXXXXX`. */
  make(name: string): Promise<string>;
  /** Removes every folder made so far (with what is in it). */
  removeAll(): Promise<void>;
}

export function tempDirs(): TempDirs {
  const made: string[] = [];
  return {
    async make(name) {
      const dir = await mkdtemp(path.join(os.tmpdir(), `dog-breeds-${name}-`));
      made.push(dir);
      return dir;
    },
    async removeAll() {
      await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}
