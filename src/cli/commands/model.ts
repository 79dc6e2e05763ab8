/** `dog-breeds model pull <id> [--from <path|URL>]` and `dog-breeds model list`. */
import { findManifests, loadModelFileManifest, pullModelFile, verifyModelFile } from '../../vision/index.ts';
import type { CliContext } from '../context.ts';

export async function modelPullCommand(ref: string, flags: { from?: string }, context: CliContext): Promise<number> {
  const manifest = await loadModelFileManifest(ref, context.config.MODELS_DIR);
  const pulled = await pullModelFile(manifest, flags.from !== undefined ? { from: flags.from } : {});
  context.out.write(`${manifest.id}: ${pulled.path} (${pulled.bytes} bytes, sha256 ${pulled.sha256})\n`);
  return 0;
}

export async function modelListCommand(context: CliContext): Promise<number> {
  for (const found of await findManifests(context.config.MODELS_DIR)) {
    if ('invalid' in found) {
      context.out.write(`${found.file}\tinvalid: ${found.invalid}\n`);
      continue;
    }
    const { manifest } = found;
    const state = await verifyModelFile(manifest).then(
      () => 'ready',
      (error: Error) => `not ready: ${error.message}`,
    );
    context.out.write(`${manifest.id}\t${manifest.description}\t${state}\n`);
  }
  return 0;
}
