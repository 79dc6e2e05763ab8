/**
 * Webhook mode's settings: BOT_MODE=webhook without WEBHOOK_URL or WEBHOOK_SECRET, a secret Telegram would refuse,
 * or a plain-http public URL is a one-line configuration error naming the setting — in process, and from `npm run bot`
 * — and never quotes the secret.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { TEST_TOKEN } from '../support/app-harness.ts';
import { spawnService } from '../support/service-process.ts';

const load = (env: Record<string, string>) => loadConfig(env, { dotenv: false });

const SECRET = 'abcdefghijklmnop_-0123';

describe('webhook settings', () => {
  it('a secret under 16 characters is refused (it could be guessed, and the log scrubber skips short strings)', () => {
    assert.throws(
      () => load({ BOT_MODE: 'webhook', WEBHOOK_URL: 'https://bot.example.com/tg', WEBHOOK_SECRET: 'abc' }),
      /WEBHOOK_SECRET: 16–256 characters/,
    );
  });

  it('polling by default; webhook mode with its defaults', () => {
    assert.equal(load({}).BOT_MODE, 'polling');
    const config = load({
      BOT_MODE: 'webhook',
      WEBHOOK_URL: 'https://bot.example.com/tg',
      WEBHOOK_SECRET: 'a-B_9a-B_9a-B_9a-B_9',
    });
    assert.equal(config.WEBHOOK_HOST, '127.0.0.1');
    assert.equal(config.WEBHOOK_PORT, 8443);
  });

  it('names what webhook mode lacks or would be refused, without quoting the secret', () => {
    assert.throws(
      () => load({ BOT_MODE: 'webhook' }),
      /^ConfigError: Invalid configuration: WEBHOOK_URL: needed when BOT_MODE=webhook; WEBHOOK_SECRET: needed/,
    );
    const secret = 'has spaces and a % sign';
    assert.throws(
      () => load({ BOT_MODE: 'webhook', WEBHOOK_URL: 'https://bot.example.com/tg', WEBHOOK_SECRET: secret }),
      (error: Error) => {
        assert.match(error.message, /WEBHOOK_SECRET: 16–256 characters of A-Z, a-z, 0-9, _ and -/);
        assert.ok(!error.message.includes(secret));
        return true;
      },
    );
    assert.throws(
      () => load({ BOT_MODE: 'webhook', WEBHOOK_URL: 'http://bot.example.com/tg', WEBHOOK_SECRET: SECRET }),
      /WEBHOOK_URL: Telegram posts only to https:\/\/ URLs/,
    );
    assert.equal(
      load({ BOT_MODE: 'webhook', WEBHOOK_URL: 'http://127.0.0.1:8443/tg', WEBHOOK_SECRET: SECRET }).WEBHOOK_URL,
      'http://127.0.0.1:8443/tg',
      'plain http on loopback (a local stand-in)',
    );
  });

  it('`npm run bot` in webhook mode without a URL: one line on stderr, exit 1', async () => {
    const bot = spawnService('bot', { BOT_TOKEN: TEST_TOKEN, BOT_MODE: 'webhook', WEBHOOK_SECRET: SECRET });
    assert.equal(await bot.exited, 1);
    assert.equal(bot.stderr(), 'dog-breeds: Invalid configuration: WEBHOOK_URL: needed when BOT_MODE=webhook\n');
  });
});
