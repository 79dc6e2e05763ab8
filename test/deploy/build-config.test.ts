/**
 * The build always builds: `rm -rf dist && npm run build` must emit JavaScript. An incremental build whose build info
 * lives outside dist/ survives the delete and reports everything up to date, emitting nothing. Running the build here
 * would race the tests that use dist/, so this checks the settings; `.ci/run` runs the clean build itself. Likewise the
 * container: building and running the image takes minutes, so `.ci/run` runs scripts/container-test.sh after the tests
 * and this checks that it does.
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

  it('CI proves a clean build emits both entry points before the tests', async () => {
    const ci = await readFile(path.join(ROOT, '.ci/run'), 'utf8');
    const lines = ci.split('\n');
    const buildLine = lines.findIndex((line) => line.startsWith('rm -rf dist && npm run'));
    assert.ok(buildLine >= 0, '.ci/run has a clean-build step');
    assert.match(lines[buildLine] ?? '', /test -f dist\/main\.js/);
    assert.match(lines[buildLine] ?? '', /test -f dist\/cli\/main\.js/);
    assert.ok(buildLine < lines.indexOf('npm test'), 'the clean build runs before npm test');
  });

  it('CI builds and runs the container after the tests, with the tools it needs installed first', async () => {
    const ci = await readFile(path.join(ROOT, '.ci/run'), 'utf8');
    const lines = ci.split('\n');
    const containerTest = lines.findIndex((line) =>
      /^(SHARED_DIR="\$SHARED" )?scripts\/container-test\.sh$/.test(line),
    );
    assert.ok(containerTest > lines.indexOf('npm test'), '.ci/run runs scripts/container-test.sh after npm test');
    const install = lines.findIndex((line) =>
      /apt-get install -y docker\.io debootstrap docker-compose caddy\b/.test(line),
    );
    assert.ok(install >= 0 && install < lines.indexOf('npm test'), 'docker.io, debootstrap, docker-compose, caddy');
    const script = await stat(path.join(ROOT, 'scripts/container-test.sh'));
    assert.ok((script.mode & 0o111) !== 0, 'scripts/container-test.sh is executable');
  });
});
