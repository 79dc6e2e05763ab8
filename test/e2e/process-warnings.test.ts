/**
 * A service writes JSON lines only: Node's own warnings (here a listener leak, as BullMQ's reconnects once caused
 * under a failover) become warn lines of the process's logger, not Node's plain text on stderr.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../support/paths.ts';

const run = promisify(execFile);

test("Node's warnings are JSON log lines, with the token scrubbed", async () => {
  const logger = path.join(ROOT, 'src/ops/logger.ts');
  const script = `
    import { EventEmitter } from 'node:events';
    import { createLogger, logProcessWarnings } from ${JSON.stringify(logger)};
    const token = '123456:secret-token-value';
    logProcessWarnings(createLogger({ secrets: [token] }));
    const emitter = new EventEmitter();
    for (let i = 0; i < 11; i++) emitter.on('close', () => undefined);
    process.emitWarning('about ' + token, 'TokenWarning');
    setTimeout(() => undefined, 100);
  `;
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
  });
  assert.equal(stderr, '', 'nothing in Node plain text');
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { level: string; msg: string; err?: { message?: string } });
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      ['warn', 'node warning: MaxListenersExceededWarning'],
      ['warn', 'node warning: TokenWarning'],
    ],
  );
  assert.doesNotMatch(stdout, /secret-token-value/);
  assert.match(lines[1]?.err?.message ?? '', /about \[redacted\]/);
});
