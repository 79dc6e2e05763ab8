/** The version `dog-breeds --version` prints: the package's own package.json, read when asked (never a copy). */
import { readFileSync } from 'node:fs';

// Two folders up from here both as source (src/cli/version.ts) and as built (dist/cli/version.js).
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

export function packageVersion(): string {
  const parsed: unknown = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8'));
  const version = typeof parsed === 'object' && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
  if (typeof version !== 'string') throw new Error(`no "version" in ${PACKAGE_JSON.pathname}`);
  return version;
}
