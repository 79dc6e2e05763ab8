#!/usr/bin/env node
// tsc copies no .ftl files: after `tsc -p tsconfig.build.json`, put the translations beside the compiled i18n module,
// so dist/ runs on its own (the Docker images carry dist/ and not src/).
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const target = path.join(root, 'dist', 'i18n', 'locales');
rmSync(target, { recursive: true, force: true });
cpSync(path.join(root, 'src', 'i18n', 'locales'), target, { recursive: true });
