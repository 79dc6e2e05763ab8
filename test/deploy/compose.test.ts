/**
 * docker-compose.yml, checked with what runs here: parsed (yaml, merge keys resolved), and resolved by Debian's
 * docker-compose (`config`, for each profile); the webhook profile's Caddyfile adapted and validated by Caddy itself.
 * Services, Redis flags and the host ports it takes (never 6379), health checks, the GPU profile and reservation, the
 * webhook profile in front of several bot replicas; the `models` service the workers wait for, and its script run here
 * (scripts/container-test.sh runs it in the image).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT } from '../support/paths.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { type Json, list, loadCompose, obj, parseDockerfile, service, str } from './deploy-support.ts';

const run = promisify(execFile);
const temp = tempDirs();
after(() => temp.removeAll());

/** A published port `[host-ip:]host-port[-last]:container-port` as numbers (the host side a range). */
function published(port: unknown): { ip: string; first: number; last: number; target: number } {
  const match = /^(?:([\d.]+):)?(\d+)(?:-(\d+))?:(\d+)(?:\/tcp)?$/.exec(String(port));
  assert.ok(match, `a published port: ${String(port)}`);
  const first = Number(match[2]);
  return { ip: match[1] ?? '0.0.0.0', first, last: Number(match[3] ?? first), target: Number(match[4]) };
}

/**
 * `docker-compose <profiles> config [--services]` with Debian's docker-compose (v1: Debian has no compose v2 plugin), on
 * a copy of the file with .env from .env.example; `env` is the shell's environment for the interpolation.
 */
async function composeConfig(profiles: string[], options: string[], env: Record<string, string> = {}): Promise<string> {
  const dir = await temp.make('compose');
  await copyFile(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
  await copyFile(path.join(ROOT, '.env.example'), path.join(dir, '.env'));
  await mkdir(path.join(dir, 'deploy/compose'), { recursive: true });
  await copyFile(path.join(ROOT, 'deploy/compose/Caddyfile'), path.join(dir, 'deploy/compose/Caddyfile'));
  const { stdout } = await run('docker-compose', [...profiles, 'config', ...options], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    timeout: 60_000,
  });
  return stdout;
}

/** Caddy's JSON for the Caddyfile, with these environment variables (`caddy adapt --validate`). */
async function caddyConfig(env: Record<string, string>): Promise<string> {
  const caddyfile = path.join(ROOT, 'deploy/compose/Caddyfile');
  const { stdout } = await run('caddy', ['adapt', '--adapter', 'caddyfile', '--validate', '--config', caddyfile], {
    cwd: await temp.make('caddy'),
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
  return stdout;
}

describe('docker-compose.yml', async () => {
  const compose = await loadCompose();
  const { stages } = parseDockerfile(await readFile(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const services = obj(compose.services, 'services');

  it('has redis, models, bot, worker, worker-gpu and webhook-proxy', () => {
    assert.deepEqual(Object.keys(services).sort(), ['bot', 'models', 'redis', 'webhook-proxy', 'worker', 'worker-gpu']);
  });

  it('models: the cpu image pulls the model files into ./models (sha256-checked) once, before the workers start', () => {
    const models = service(compose, 'models');
    const worker = service(compose, 'worker');
    assert.deepEqual([models.image, models.build], [worker.image, worker.build], 'the same image as the worker');
    assert.equal(models.profiles, undefined, 'on every `up`');
    assert.deepEqual(models.entrypoint, ['sh', '/app/pull-models.sh']);
    assert.deepEqual(list(models.volumes, 'volumes'), [
      './models:/app/models',
      './deploy/compose/pull-models.sh:/app/pull-models.sh:ro',
      '$' + '{MODELS_FROM:-./models}:/from:ro',
    ]);
    assert.ok(existsSync(path.join(ROOT, 'deploy/compose/pull-models.sh')));
    assert.equal(models.env_file, '.env', 'MODEL, GATE_MODEL, DETECTOR and MODEL_URL as the workers read them');
    assert.equal(models.restart, 'no');
    assert.equal(models.ports, undefined);
    for (const name of ['worker', 'worker-gpu']) {
      assert.deepEqual(service(compose, name).depends_on, {
        redis: { condition: 'service_healthy' },
        models: { condition: 'service_completed_successfully' },
      });
    }
    assert.deepEqual(service(compose, 'bot').depends_on, { redis: { condition: 'service_healthy' } }, 'no model');
  });

  it("pull-models.sh: MODEL's and DETECTOR's files pulled and verified, then left alone when there and verified", async () => {
    // Run on this machine as the image runs it, with the CLI from source and this checkout's models as MODELS_FROM.
    const dir = await temp.make('pull-models');
    for (const manifest of ['mobilenetv2-imagenet', 'mobilenetv2-imagenet-int8', 'yolox-nano-coco']) {
      await copyFile(path.join(ROOT, 'models', `${manifest}.json`), path.join(dir, `${manifest}.json`));
    }
    const pull = () =>
      run('sh', [path.join(ROOT, 'deploy/compose/pull-models.sh')], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          CLI: `${process.execPath} --import ${import.meta.resolve('tsx')} ${path.join(ROOT, 'src/cli/main.ts')}`,
          MODELS_DIR: dir,
          MODELS_FROM: 'set',
          FROM_DIR: path.join(ROOT, 'models'),
        },
        timeout: 120_000,
      });
    const first = await pull();
    assert.match(first.stdout, /^mobilenetv2-imagenet: .*mobilenetv2-12-float\.onnx \(13978865 bytes, sha256 /m);
    assert.match(first.stdout, /^yolox-nano-coco: .*yolox_nano\.onnx \(\d+ bytes, sha256 /m);
    const again = await pull();
    assert.equal(again.stdout, 'mobilenetv2-imagenet: ready\nyolox-nano-coco: ready\n');
  });

  it('redis: redis 7, AOF on, noeviction, a data volume, health-checked with redis-cli ping', () => {
    const redis = service(compose, 'redis');
    assert.match(str(redis.image, 'image'), /^redis:7/);
    const command = list(redis.command, 'command').map(String);
    assert.deepEqual(command.slice(command.indexOf('--appendonly'), command.indexOf('--appendonly') + 2), [
      '--appendonly',
      'yes',
    ]);
    const policy = command.indexOf('--maxmemory-policy');
    assert.ok(policy > 0);
    assert.equal(command[policy + 1], 'noeviction');
    assert.deepEqual(list(redis.volumes, 'volumes'), ['redis-data:/data']);
    assert.ok('redis-data' in obj(compose.volumes, 'volumes'), 'a named volume redis-data');
    assert.deepEqual(list(obj(redis.healthcheck, 'healthcheck').test, 'test'), ['CMD', 'redis-cli', 'ping']);
  });

  it("redis is published on the host's loopback at REDIS_HOST_PORT, by default not 6379 (a host Redis keeps it)", () => {
    const [port, ...more] = list(service(compose, 'redis').ports, 'ports');
    assert.equal(more.length, 0);
    const match = /^127\.0\.0\.1:\$\{REDIS_HOST_PORT:-(\d+)\}:6379$/.exec(String(port));
    assert.ok(match, `redis port: ${String(port)}`);
    assert.notEqual(match[1], '6379');
  });

  const roles: [string, string, string][] = [
    ['bot', 'cpu', 'bot'],
    ['worker', 'cpu', 'worker'],
    ['worker-gpu', 'gpu', 'worker'],
  ];
  for (const [name, target, role] of roles) {
    it(`${name}: the ${target} target as ${role}, Redis at redis:6379 once healthy, .env, a health check`, () => {
      const s = service(compose, name);
      const build = obj(s.build, 'build');
      assert.equal(build.context, '.');
      assert.equal(build.target, target);
      assert.ok(
        stages.some((stage) => stage.name === target),
        `Dockerfile has a ${target} stage`,
      );
      assert.deepEqual(s.command, ['node', 'dist/main.js', role]);
      const env = obj(s.environment, 'environment');
      assert.equal(env.REDIS_URL, 'redis://redis:6379');
      assert.equal(env.OPS_HOST, '0.0.0.0');
      assert.equal(env.OPS_PORT, '9090');
      assert.equal(s.env_file, '.env');
      assert.equal(obj(obj(s.depends_on, 'depends_on').redis, 'depends_on.redis').condition, 'service_healthy');
      const healthcheck = obj(s.healthcheck, 'healthcheck');
      assert.match(list(healthcheck.test, 'test').join(' '), /127\.0\.0\.1:.*OPS_PORT.*\/healthz/);
      for (const port of list(s.ports, 'ports')) {
        const { ip, target: inside } = published(port);
        assert.deepEqual([ip, inside], ['127.0.0.1', 9090], `${name}: ops port on loopback`);
      }
    });
  }

  it('the ops ports: a loopback range per service, one port per replica, no two services sharing one', () => {
    const ranges = ['bot', 'worker', 'worker-gpu'].map((name) => {
      const [port] = list(service(compose, name).ports, `${name}.ports`);
      return { name, ...published(port) };
    });
    for (const range of ranges) {
      assert.ok(range.last > range.first, `${range.name}: a range, so replicas can each have one`);
      assert.ok(range.first > 6379 || range.last < 6379, `${range.name}: not 6379`);
    }
    for (const a of ranges) {
      for (const b of ranges) {
        if (a !== b) assert.ok(a.last < b.first || b.last < a.first, `${a.name} and ${b.name} overlap`);
      }
    }
  });

  it('worker: the default, on the CPU (enough for the default model), no profile, no GPU reservation', () => {
    const worker = service(compose, 'worker');
    assert.equal(worker.profiles, undefined);
    assert.equal(obj(worker.environment, 'environment').DEVICE, 'cpu');
    assert.equal(worker.deploy, undefined);
  });

  it('worker-gpu: only in the gpu profile, reserves one NVIDIA GPU, uses CUDA, linux/amd64', () => {
    const worker = service(compose, 'worker-gpu');
    assert.deepEqual(worker.profiles, ['gpu']);
    const devices = list(
      obj(obj(obj(worker.deploy, 'deploy').resources, 'resources').reservations, 'reservations').devices,
      'devices',
    );
    assert.deepEqual(devices, [{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
    assert.equal(obj(worker.environment, 'environment').DEVICE, 'cuda');
    assert.equal(worker.platform, 'linux/amd64');
  });

  it('the workers read the models from ./models, read-only; the bot needs none', () => {
    for (const name of ['worker', 'worker-gpu']) {
      assert.deepEqual(service(compose, name).volumes, ['./models:/app/models:ro']);
    }
    assert.equal(service(compose, 'bot').volumes, undefined);
  });

  it('webhook mode: the bot listens on all interfaces inside the network, and Caddy (webhook profile) fronts it', () => {
    const bot = service(compose, 'bot');
    assert.equal(bot.profiles, undefined);
    assert.equal(obj(bot.environment, 'environment').WEBHOOK_HOST, '0.0.0.0');
    const proxy = service(compose, 'webhook-proxy');
    assert.deepEqual(proxy.profiles, ['webhook']);
    assert.match(str(proxy.image, 'image'), /^caddy:2/);
    const [caddyfile] = list(proxy.volumes, 'volumes').map(String);
    assert.equal(caddyfile, './deploy/compose/Caddyfile:/etc/caddy/Caddyfile:ro');
    assert.ok(existsSync(path.join(ROOT, 'deploy/compose/Caddyfile')));
    // Telegram delivers to 443 (80 is for the ACME challenge and the redirect to HTTPS).
    assert.deepEqual(list(proxy.ports, 'ports').map(String), ['80:80', '443:443']);
    const env = obj(proxy.environment, 'environment');
    // Compose's own interpolation from .env or the shell; the same default port as the Caddyfile's.
    assert.deepEqual(
      [env.WEBHOOK_DOMAIN, env.WEBHOOK_PORT],
      ['$' + '{WEBHOOK_DOMAIN:-}', '$' + '{WEBHOOK_PORT:-8443}'],
    );
  });

  it("Caddy accepts the Caddyfile: WEBHOOK_DOMAIN's certificate, every request to the bot replicas by DNS", async () => {
    const config = JSON.parse(await caddyConfig({ WEBHOOK_DOMAIN: 'bot.example.com' })) as Json;
    const text = JSON.stringify(config);
    assert.match(text, /"match":\[\{"host":\["bot\.example\.com"\]\}\]/);
    assert.match(text, /"dynamic_upstreams":\{"name":"bot","port":"8443","refresh":\d+,"source":"a"\}/);
    assert.match(text, /"selection_policy":\{"policy":"round_robin"\}/);
    // WEBHOOK_PORT set in .env reaches the upstreams too.
    const moved = await caddyConfig({ WEBHOOK_DOMAIN: 'bot.example.com', WEBHOOK_PORT: '9443' });
    assert.match(moved, /"dynamic_upstreams":\{"name":"bot","port":"9443"/);
  });

  it('docker-compose resolves it: redis, models, bot and worker by default; worker-gpu and webhook-proxy by profile', async () => {
    // docker-compose 1.29 lists every service with its profiles; those without one are what `up` starts by default.
    const config = obj(parse(await composeConfig([], [])), 'config');
    const profiles = Object.entries(obj(config.services, 'services')).map(([name, s]) => [name, obj(s, name).profiles]);
    assert.deepEqual(Object.fromEntries(profiles), {
      bot: undefined,
      models: undefined,
      redis: undefined,
      worker: undefined,
      'worker-gpu': ['gpu'],
      'webhook-proxy': ['webhook'],
    });
  });

  it('docker-compose resolves the ports: Redis on 127.0.0.1:6380, or REDIS_HOST_PORT; nothing on 6379', async () => {
    const resolvedPorts = async (env: Record<string, string>) => {
      const config = obj(parse(await composeConfig(['--profile', 'gpu', '--profile', 'webhook'], [], env)), 'config');
      const services = obj(config.services, 'services');
      return Object.fromEntries(
        Object.entries(services).map(([name, s]) => [
          name,
          list(obj(s, name).ports ?? [], 'ports').map((p) => {
            if (typeof p === 'string') return published(p);
            const entry = obj(p, 'port');
            return published(`${String(entry.published)}:${String(entry.target)}`);
          }),
        ]),
      );
    };
    const ports = await resolvedPorts({});
    assert.deepEqual(ports.redis, [{ ip: '127.0.0.1', first: 6380, last: 6380, target: 6379 }]);
    for (const [name, published] of Object.entries(ports)) {
      for (const p of published) assert.ok(p.first > 6379 || p.last < 6379, `${name} publishes 6379`);
    }
    const moved = await resolvedPorts({ REDIS_HOST_PORT: '16379' });
    assert.deepEqual(moved.redis, [{ ip: '127.0.0.1', first: 16379, last: 16379, target: 6379 }]);
  });
});
