/**
 * The .onnx file behind a manifest: checking it is there and intact, and fetching it (`dog-breeds model pull`).
 * Checksums are verified on every start: a truncated download or a swapped file must not serve wrong answers.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { dequantizeModel } from './dequantize.ts';
import { ModelError } from './errors.ts';
import type { ModelFileManifest } from './manifest.ts';

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function howToGet(manifest: ModelFileManifest): string {
  if (manifest.source !== null) return `Run: npm run model:pull -- ${manifest.id}`;
  return `Copy it there, or run: npm run model:pull -- ${manifest.id} --from <path or URL of the .onnx file>`;
}

/** Throws a ModelError saying how to get the file when it is missing, of the wrong size or checksum. */
export async function verifyModelFile(manifest: ModelFileManifest): Promise<void> {
  const size = await stat(manifest.modelPath).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined) {
    throw new ModelError(`Model file for "${manifest.id}" not found at ${manifest.modelPath}. ${howToGet(manifest)}`);
  }
  if (manifest.sizeBytes !== null && size !== manifest.sizeBytes) {
    throw new ModelError(
      `Model file ${manifest.modelPath} has ${size} bytes, the manifest says ${manifest.sizeBytes}: it is truncated or another file. ${howToGet(manifest)}`,
    );
  }
  if (manifest.sha256 !== null) {
    const actual = await sha256OfFile(manifest.modelPath);
    if (actual !== manifest.sha256) {
      throw new ModelError(
        `Model file ${manifest.modelPath} is corrupt or another file (sha256 ${actual}, the manifest says ${manifest.sha256}). ${howToGet(manifest)}`,
      );
    }
  }
}

/** Opens a source (http(s) URL, file: URL or path) as a byte stream. */
async function openSource(source: string, baseDir: string): Promise<Readable> {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source, { redirect: 'follow' });
    if (!response.ok || response.body === null) {
      throw new ModelError(`Could not download ${source}: HTTP ${response.status}`);
    }
    return Readable.fromWeb(response.body);
  }
  const file = source.startsWith('file:') ? fileURLToPath(new URL(source, `file://${baseDir}/`)) : source;
  const absolute = path.resolve(baseDir, file);
  await stat(absolute).catch(() => {
    throw new ModelError(`Model source ${absolute} does not exist.`);
  });
  return createReadStream(absolute);
}

const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Streams `source` into `target` through a temporary file; replaces `target` only when the sha256 is as expected. */
async function fetchVerified(
  source: string,
  baseDir: string,
  target: string,
  expected: { sha256: string | null; what: string },
): Promise<{ bytes: number; sha256: string }> {
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    const input = await openSource(source, baseDir);
    input.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    await pipeline(input, createWriteStream(partial));
    const digest = hash.digest('hex');
    if (expected.sha256 !== null && digest !== expected.sha256) {
      throw new ModelError(
        `The file from ${source} has sha256 ${digest}, ${expected.what} expects ${expected.sha256}: not installed.`,
      );
    }
    await rename(partial, target);
    return { bytes, sha256: digest };
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * Fetches the model file from `from` (or the manifest's source) into place, verifying size and sha256 before the file
 * replaces anything: a failed pull never leaves a broken model behind. A derived model (`derivedFrom`) fetches and
 * checks its source, installs it too, and derives the file from it, which must then match its own sha256.
 */
export async function pullModelFile(
  manifest: ModelFileManifest,
  options: { from?: string; cwd?: string } = {},
): Promise<{ path: string; bytes: number; sha256: string }> {
  const source = options.from ?? manifest.source;
  if (source === null) {
    throw new ModelError(`Model "${manifest.id}" has no source in its manifest: pass one with --from <path or URL>.`);
  }
  const baseDir = options.from === undefined ? path.dirname(manifest.manifestPath) : (options.cwd ?? process.cwd());
  const derivedFrom = manifest.derivedFrom;
  if (derivedFrom === undefined) {
    const fetched = await fetchVerified(source, baseDir, manifest.modelPath, {
      sha256: manifest.sha256,
      what: `the manifest "${manifest.id}"`,
    });
    return { path: manifest.modelPath, ...fetched };
  }
  const sourcePath = path.resolve(path.dirname(manifest.manifestPath), derivedFrom.file);
  await fetchVerified(source, baseDir, sourcePath, {
    sha256: derivedFrom.sha256,
    what: `the source of "${manifest.id}" (derivedFrom)`,
  });
  const derived = dequantizeModel(await readFile(sourcePath));
  const digest = sha256Of(derived);
  if (manifest.sha256 !== null && digest !== manifest.sha256) {
    throw new ModelError(
      `Deriving "${manifest.id}" from ${derivedFrom.file} gave sha256 ${digest}, the manifest expects ${manifest.sha256}: ` +
        'the derivation is not the one the manifest pins (a changed dequantizer or onnx-proto). Not installed.',
    );
  }
  const partial = `${manifest.modelPath}.partial-${process.pid}`;
  try {
    await writeFile(partial, derived);
    await rename(partial, manifest.modelPath);
  } finally {
    await rm(partial, { force: true });
  }
  return { path: manifest.modelPath, bytes: derived.length, sha256: digest };
}
