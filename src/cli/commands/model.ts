/** `dog-breeds model pull <id> [--from <path|URL>]` and `dog-breeds model list`. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { loadModelFileManifest, pullModelFile, verifyModelFile } from '../../vision/index.ts';
import type { CliContext } from '../context.ts';

export async function modelPullCommand(ref: string, flags: { from?: string }, context: CliContext): Promise<number> {
  const manifest = await loadModelFileManifest(ref, context.config.MODELS_DIR);
  const pulled = await pullModelFile(manifest, flags.from !== undefined ? { from: flags.from } : {});
  context.out.write(`${manifest.id}: ${pulled.path} (${pulled.bytes} bytes, sha256 ${pulled.sha256})\n`);
  return 0;
}

export async function modelListCommand(context: CliContext): Promise<number> {
  const dir = context.config.MODELS_DIR;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json') && f !== 'breeds.json').sort();
  for (const file of files) {
    try {
      const manifest = await loadModelFileManifest(path.join(dir, file), dir);
      const state = await verifyModelFile(manifest).then(
        () => 'ready',
        (error: Error) => `not ready: ${error.message}`,
      );
      context.out.write(`${manifest.id}\t${manifest.description}\t${state}\n`);
    } catch (error) {
      context.out.write(`${file}\tinvalid: ${(error as Error).message}\n`);
    }
  }
  return 0;
}
