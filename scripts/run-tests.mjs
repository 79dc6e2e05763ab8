#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (TypeScript through tsx). Node 20's runner does not expand
// globs itself, so the files are listed here. Extra arguments are passed on (e.g. a file, or --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const explicitFiles = args.filter((a) => a.endsWith('.ts'));
const files =
  explicitFiles.length > 0
    ? explicitFiles
    : readdirSync(path.join(root, 'test'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => path.join('test', f));
const options = args.filter((a) => !a.endsWith('.ts'));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...options, ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
