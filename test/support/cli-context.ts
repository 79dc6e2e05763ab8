/** A CLI context for calling command functions in-process: a given configuration, output captured. */
import { Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.ts';
import type { Config } from '../../src/config/index.ts';
import { createLogger } from '../../src/ops/logger.ts';

export function captureCli(config: Config): CliContext & { printed: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { config, logger: createLogger({ level: 'silent' }), out, printed: () => text };
}
