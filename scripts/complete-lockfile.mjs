#!/usr/bin/env node
// The npm registry mirror of these machines serves only the platform packages this machine can use (e.g. it has
// @biomejs/cli-linux-x64 but answers 404 for @biomejs/cli-darwin-arm64), so `npm install` writes a lockfile without
// the other platforms' optional packages, and `npm ci` then refuses it ("Missing: … from lock file").
// This adds those entries back — optional, with their os/cpu/libc — so `npm ci` accepts the lockfile, skips them here,
// and installs them normally on the platforms they are for. Run after `npm install` changes dependencies.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

function missingFromLock() {
  try {
    execFileSync('npm', ['ci', '--dry-run', '--ignore-scripts'], { stdio: 'pipe', encoding: 'utf8' });
    return [];
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    return [...output.matchAll(/Missing: (.+?)@\S* from lock file/g)].map((m) => m[1]);
  }
}

function platformOf(name) {
  const base = name.split('/').pop();
  const os = ['android', 'darwin', 'linux', 'win32', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix'].find((o) =>
    base.includes(o),
  );
  const cpu = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64'].find((c) =>
    new RegExp(`-${c}(-|$)`).test(base),
  );
  if (!os || !cpu) throw new Error(`cannot tell the platform of ${name}: add its lockfile entry by hand`);
  const libc = base.includes('musl') ? ['musl'] : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) };
}

const missing = missingFromLock();
if (missing.length === 0) {
  console.log('package-lock.json is complete');
  process.exit(0);
}
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
for (const name of missing) {
  const version = Object.values(lock.packages).find((p) => p.optionalDependencies?.[name])?.optionalDependencies[name];
  if (!version) throw new Error(`${name} is missing but no package lists it as optional: not a platform package`);
  lock.packages[`node_modules/${name}`] = { version, optional: true, ...platformOf(name) };
  console.log(`added ${name}@${version}`);
}
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
