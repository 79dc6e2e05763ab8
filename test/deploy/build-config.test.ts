/**
 * The build always builds: `rm -rf dist && npm run build` must emit JavaScript. An incremental build whose build info
 * lives outside dist/ survives the delete and reports everything up to date, emitting nothing. Running the build here
 * would race the tests that use dist/, so this checks the settings; the full test command (`npm test`, which `.ci/run`
 * is) runs the clean build itself. Likewise the container: building and running the image takes minutes, so the full
 * test command runs scripts/container-test.sh after the tests and this checks that it does.
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/paths.ts';

interface CompilerOptions {
  incremental?: boolean;
  composite?: boolean;
  outDir?: string;
  tsBuildInfoFile?: string;
}

async function effectiveCompilerOptions(configFile: string): Promise<CompilerOptions> {
  const config = JSON.parse(await readFile(configFile, 'utf8')) as {
    extends?: string;
    compilerOptions?: CompilerOptions;
  };
  const inherited = config.extends
    ? await effectiveCompilerOptions(path.resolve(path.dirname(configFile), config.extends))
    : {};
  return { ...inherited, ...config.compilerOptions };
}

describe('the build configuration', () => {
  it('keeps incremental build info inside outDir, so deleting dist/ forces a full build', async () => {
    const options = await effectiveCompilerOptions(path.join(ROOT, 'tsconfig.build.json'));
    assert.ok(options.outDir, 'tsconfig.build.json names an outDir');
    if (!options.incremental && !options.composite) return;
    assert.ok(options.tsBuildInfoFile, 'an incremental build names its tsBuildInfoFile');
    const outDir = path.resolve(ROOT, options.outDir);
    const buildInfo = path.resolve(ROOT, options.tsBuildInfoFile);
    assert.ok(
      buildInfo.startsWith(`${outDir}${path.sep}`),
      `build info ${options.tsBuildInfoFile} should be inside ${options.outDir}`,
    );
  });

  it('CI is the README test command: .ci/run runs `npm test` and nothing else', async () => {
    const ci = await readFile(path.join(ROOT, '.ci/run'), 'utf8');
    const commands = ci.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    assert.deepEqual(commands, ['set -euo pipefail', 'cd "$(dirname "$0")/.."', 'exec npm test']);
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { test: string } };
    assert.equal(pkg.scripts.test, 'node scripts/run-tests.mjs');
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('**Run the tests**'));
    assert.equal(/```sh\n([^`]*)```/.exec(section)?.[1], 'npm test\n', "the README's test command");
  });

  it('the full test command proves a clean build emits both entry points before the tests', async () => {
    const runner = await readFile(path.join(ROOT, 'scripts/run-tests.mjs'), 'utf8');
    const at = (text: string) => {
      const index = runner.indexOf(text);
      assert.ok(index >= 0, `run-tests.mjs has ${text}`);
      return index;
    };
    const order = [
      at('await setUp({ full })'),
      at("rmSync(path.join(root, 'dist')"),
      at("run('npm', ['run', '--silent', 'build'])"),
      at("'dist/main.js'"),
      at("'dist/cli/main.js'"),
      at('await runTests(['),
    ];
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      'set-up, delete dist/, build, both entry points, then the tests',
    );
  });

  it('the full test command runs the container test after the tests, with the tools it needs installed first', async () => {
    const runner = await readFile(path.join(ROOT, 'scripts/run-tests.mjs'), 'utf8');
    assert.ok(runner.indexOf("spawnSync('scripts/container-test.sh'") > runner.indexOf('await runTests(['));
    const setup = await readFile(path.join(ROOT, 'scripts/test-setup.mjs'), 'utf8');
    for (const pkg of ['docker.io', 'debootstrap', 'docker-compose', 'caddy']) {
      assert.match(setup, new RegExp(`packages: \\['${pkg.replace('.', '\\.')}'\\]`), `the set-up installs ${pkg}`);
    }
    const script = await stat(path.join(ROOT, 'scripts/container-test.sh'));
    assert.ok((script.mode & 0o111) !== 0, 'scripts/container-test.sh is executable');
  });
});
