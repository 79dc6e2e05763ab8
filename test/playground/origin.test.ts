/**
 * The playground's origin check over real HTTP: a POST is accepted only from a page served by the playground itself
 * (its listening address or the loopback names, on its port), whatever the Host header says — a request whose Host
 * and Origin both name a foreign site is refused.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import { PlaygroundWeb } from '../../src/playground/web-server.ts';

const TOKEN = '123456:PLAYGROUND-origin-test-token';

let standIn: BotApiStandIn;
let web: PlaygroundWeb;
let port: number;

before(async () => {
  standIn = await BotApiStandIn.start({ token: TOKEN });
  web = PlaygroundWeb.attach(standIn);
  port = Number(new URL(standIn.apiRoot).port);
});
after(async () => {
  web.close();
  await standIn.close();
});

/** Posts a text message with exactly these Host and Origin headers (fetch would not let the test set Host). */
function postText(headers: { host: string; origin?: string }): Promise<number> {
  const body = JSON.stringify({ text: 'hi' });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/playground/text',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the playground’s origin check', () => {
  it('refuses a request whose Host and Origin both name a foreign site', async () => {
    const before = standIn.updates.length;
    assert.equal(await postText({ host: 'evil.example', origin: 'http://evil.example' }), 403);
    assert.equal(await postText({ host: `evil.example:${port}`, origin: `http://evil.example:${port}` }), 403);
    assert.equal(standIn.updates.length, before);
  });

  it('refuses its own host name on another port or over https', async () => {
    assert.equal(await postText({ host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port + 1}` }), 403);
    assert.equal(await postText({ host: `127.0.0.1:${port}`, origin: `https://127.0.0.1:${port}` }), 403);
  });

  it('accepts its own page: the listening address and localhost on its port, and requests without Origin', async () => {
    const before = standIn.updates.length;
    assert.equal(await postText({ host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` }), 200);
    assert.equal(await postText({ host: `localhost:${port}`, origin: `http://localhost:${port}` }), 200);
    assert.equal(await postText({ host: `127.0.0.1:${port}` }), 200);
    assert.equal(standIn.updates.length, before + 3);
  });
});
