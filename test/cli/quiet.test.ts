/**
 * A quiet, kind command line: npm says nothing about the project's own settings (npm 11 warns about any it does not
 * know), and its install steps fetch nothing from outside the registry; a wrong option is one line with where the help
 * is; no device talk unless asked (`--verbose`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { image, ROOT } from '../support/paths.ts';

const CLI = path.join(ROOT, 'src/cli/main.ts');
const PHOTO = image('dogs/papillon-cba2c69da143.jpg');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program in the project folder, killed after `timeoutMs` (code null then) so a hang fails instead of stalls. */
function runIn(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    // No LOG_LEVEL: the command line's own default is what a person gets.
    const { LOG_LEVEL: _ignored, ...inherited } = process.env;
    execFile(file, args, { cwd: ROOT, env: { ...inherited, ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' && !error.killed ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

const dogBreeds = (args: string[], env: Record<string, string> = {}) =>
  runIn(process.execPath, ['--import', 'tsx', CLI, ...args], env);

describe('npm in this project', () => {
  it('warns about no project setting', async () => {
    const r = await runIn('npm', ['exec', '--no', '--', 'node', '-e', '']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Unknown (project|user|env) config|npm warn/i);
  });

  it("runs no dependency's install step (onnxruntime-node's would download CUDA from outside the registry)", async () => {
    // Scoped to the one package, so nothing else in node_modules is touched.
    const r = await runIn('npm', ['rebuild', 'onnxruntime-node', '--foreground-scripts'], {}, 120_000);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /postinstall|script\/install/);
  });
});

describe('a wrong option', () => {
  it('is one line saying what is wrong and where the help is', async () => {
    const r = await dogBreeds(['classify', '--top', '0', PHOTO]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: option '-k, --top <n>' argument '0' is invalid\. .*whole number ≥ 1.*\n$/);
    assert.match(r.stderr, /\(see dog-breeds classify --help\)\n$/);
    assert.equal(r.stderr.split('\n').length, 2, `one line, got:\n${r.stderr}`);
  });

  it('an unknown command: one line with the suggestion', async () => {
    const r = await dogBreeds(['clasify', PHOTO]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: unknown command 'clasify' (Did you mean classify?) (see dog-breeds --help)\n");
  });
});

describe('the device', () => {
  it('DEVICE=auto: nothing said about it unless --verbose, and then once', async () => {
    const quiet = await dogBreeds(['classify', PHOTO], { DEVICE: 'auto' });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.match(quiet.stdout, /Papillon/);
    assert.equal(quiet.stderr, '', 'no log lines');

    const verbose = await dogBreeds(['classify', '--verbose', PHOTO], { DEVICE: 'auto' });
    assert.equal(verbose.code, 0, verbose.stderr);
    const lines = verbose.stderr.trim().split('\n').filter(Boolean);
    // Where CUDA works (a GPU machine) there is no fallback to report.
    const fallbacks = lines.map((l) => JSON.parse(l)).filter((l) => /CPU/.test(l.msg));
    assert.ok(fallbacks.length <= 1, `the CPU fallback once a process, not per model:\n${verbose.stderr}`);
    for (const line of fallbacks) {
      assert.equal(line.level, 'info');
      assert.equal(line.msg, 'running on the CPU (no CUDA GPU found)');
      assert.equal(typeof line.reason, 'string');
    }
  });
});
