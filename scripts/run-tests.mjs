#!/usr/bin/env node
// The test command (`npm test`; `.ci/run` runs exactly it). With no arguments, from a fresh clone: the set-up
// (npm ci, the models, the machine's packages, Redis: scripts/test-setup.mjs), typecheck, lint, a clean build, every
// test/**/*.test.ts, then the container test (scripts/container-test.sh; CONTAINER_TEST=skip leaves it out).
// With arguments (a file, or --test-name-pattern): a quick set-up (packages and models) and those tests only.
// Node builtins only: it runs before node_modules exists. SHARED_DIR: the folder with models/ and images/ (../shared).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { run, SetupError, setUp, sharedDir } from './test-setup.mjs';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const full = args.length === 0;

try {
  await setUp({ full });
  if (full) {
    run('npm', ['run', '--silent', 'typecheck']);
    run('npm', ['run', '--silent', 'lint']);
    // The build info lives in dist/, so deleting dist/ forces a full build, which must emit the entry points.
    rmSync(path.join(root, 'dist'), { recursive: true, force: true });
    run('npm', ['run', '--silent', 'build']);
    run('test', ['-f', 'dist/main.js', '-a', '-f', 'dist/cli/main.js']);
  }
} catch (error) {
  if (!(error instanceof SetupError)) throw error;
  console.error(`npm test: ${error.message}`);
  process.exit(1);
}

const explicitFiles = args.filter((a) => a.endsWith('.ts'));
const files =
  explicitFiles.length > 0
    ? explicitFiles
    : readdirSync(path.join(root, 'test'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => path.join('test', f));
const options = args.filter((a) => !a.endsWith('.ts'));
const status = await runTests([
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  '--test-concurrency=1',
  // A file whose tests are done exits even if a handle was left open, and a test that waits on nothing fails after
  // 10 minutes (the slowest takes under 2): a run never sits idle. Later options (the caller's) override these.
  '--test-force-exit',
  '--test-timeout=600000',
  ...options,
  ...files,
]);
if (status !== 0 || !full || process.env.CONTAINER_TEST === 'skip') process.exit(status);

// The cpu image built and run: classify, the worker healthy, docker stop clean. Minutes on a first run (debootstrap,
// the image's npm ci), under a minute with its cache (~/.cache/dog-breeds-container).
const container = spawnSync('scripts/container-test.sh', [], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SHARED_DIR: sharedDir },
});
process.exit(container.status ?? 1);

/**
 * Node's test runner in a process group of its own, so that whatever a test started (a service process, a private
 * redis-server) goes with it: the group is killed when the runner exits, when this process is stopped by a signal, and
 * — by a watchdog holding a pipe from this process, which the kernel closes however this process ends — when this
 * process is SIGKILLed.
 */
async function runTests(nodeArgs) {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: root,
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, DOG_IMAGES_DIR: process.env.DOG_IMAGES_DIR ?? path.join(sharedDir, 'images') },
  });
  const group = child.pid;
  // "done" on a normal end; end of file without it means this process died: kill the group.
  const watchdog = spawn(
    'sh',
    ['-c', 'read -r line; [ "$line" = done ] || kill -KILL -"$1" 2>/dev/null', 'sh', `${group}`],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    },
  );
  watchdog.unref();
  const killGroup = (signal) => {
    try {
      process.kill(-group, signal);
    } catch {
      // the group is gone already
    }
  };
  // The group is not the terminal's foreground group: pass Ctrl-C and stops on to it (the runner cancels its tests).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => killGroup(signal));
  const [code, signal] = await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  killGroup('SIGKILL'); // what the tests left running
  watchdog.stdin.end('done\n');
  return code ?? (signal ? 128 : 1);
}
