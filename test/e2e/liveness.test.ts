/**
 * Liveness that means something: /healthz is 200 while the loops run, and 503 — naming the loop and what ended it —
 * once polling has stopped by itself for longer than LIVENESS_GRACE_MS, so that the orchestrator restarts the bot
 * (a 409 from getUpdates: another process polls with the token, which the runner does not retry). Waiting is not
 * dying: a loop back within the grace is alive. The real bot role against the stand-in over HTTP, the real Redis.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loopLiveness } from '../../src/ops/index.ts';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { poll } from '../support/poll.ts';

let h: Harness | undefined;
after(async () => {
  await h?.close();
});

interface Health {
  status: string;
  checks?: Record<string, string>;
}

test('polling ended by a 409: /healthz fails after the grace, naming the bot and why; /readyz says not polling', async () => {
  h = await startHarness({ LIVENESS_GRACE_MS: '1000' }, { roles: ['bot'] });
  const ops = h.app.ops?.url;
  assert.ok(ops);
  assert.equal((await fetch(`${ops}/healthz`)).status, 200);
  h.standIn.injectFault({
    method: 'getUpdates',
    times: 5,
    fault: { kind: 'status', status: 409, description: 'Conflict: terminated by other getUpdates request' },
  });
  // A message ends the long poll in flight; the next getUpdates gets the 409.
  const from = user(9100);
  h.standIn.sendText({ chat: privateChat(from), from, text: '/help' });
  const dead = await poll(
    async () => {
      const response = await fetch(`${ops}/healthz`);
      return response.status === 503 && ((await response.json()) as Health);
    },
    { timeoutMs: 30_000, label: '/healthz 503' },
  );
  assert.equal(dead.status, 'dead');
  assert.match(dead.checks?.bot ?? '', /^stopped \d+ s ago: polling ended with an error: .*Conflict/);
  const ready = (await (await fetch(`${ops}/readyz`)).json()) as { checks: Record<string, unknown> };
  assert.equal(ready.checks.bot, 'not polling');
  assert.equal(h.logLines.filter((l) => l.includes('"level":"fatal"')).length, 1, 'one line says why');
});

test('a loop that stops is given the grace to come back: alive meanwhile, and again once it runs', () => {
  let running = true;
  let clock = 0;
  const check = loopLiveness(
    10_000,
    () => running,
    () => 'ended',
    () => clock,
  );
  assert.equal(check(), true);
  running = false;
  assert.equal(check(), true, 'just stopped');
  clock = 10_000;
  assert.equal(check(), true, 'within the grace');
  clock = 12_000;
  assert.equal(check(), 'stopped 12 s ago: ended');
  running = true;
  assert.equal(check(), true, 'back');
  running = false;
  clock = 20_000;
  assert.equal(check(), true, 'a new stop starts a new grace');
});
