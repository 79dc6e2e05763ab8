// The tests' set-up, run by scripts/run-tests.mjs before any test: npm packages, the models, and (for the full run)
// what the machine needs. Node builtins only: it runs before node_modules exists. Each step is skipped when already
// done; what it cannot do ends the run at once with one line saying what is missing and how to get it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/** Beside the checkout: `models/` (the model files) and `images/` (the labelled photos). SHARED_DIR moves it. */
export const sharedDir = path.resolve(root, process.env.SHARED_DIR ?? '../shared');

export class SetupError extends Error {}

/** The models the tests load, each with the file in the shared folder that `model pull --from` takes. */
const MODELS = [
  // The float32 graph is derived from the int8 file, which is installed as mobilenetv2-imagenet-int8 on the way.
  { id: 'mobilenetv2-imagenet', from: 'mobilenetv2-12-int8.onnx' },
  { id: 'yolox-nano-coco', from: 'yolox_nano.onnx' },
  { id: 'xception-random', from: 'xception-random-299.onnx' },
];

/**
 * What the full run needs from the machine: a check, and the Debian package that provides it. The browser test drives
 * Debian's Chromium (playwright-core downloads none); the container test runs its own dockerd and debootstraps its base
 * image; ffmpeg reads videos (and the tests make theirs with it); docker-compose (v1: Debian has no compose v2 plugin)
 * and caddy check docker-compose.yml; the training test runs Debian's PyTorch under the system Python.
 */
const SYSTEM = [
  { what: 'redis-server', ok: () => onPath('redis-server') && onPath('redis-cli'), packages: ['redis-server'] },
  { what: 'ffmpeg', ok: () => onPath('ffmpeg') && onPath('ffprobe'), packages: ['ffmpeg'] },
  { what: 'chromium', ok: () => existsSync('/usr/bin/chromium'), packages: ['chromium'] },
  { what: 'the emoji font', ok: () => dpkgHas('fonts-noto-color-emoji'), packages: ['fonts-noto-color-emoji'] },
  { what: 'dockerd', ok: () => onPath('dockerd') && onPath('docker'), packages: ['docker.io'] },
  { what: 'debootstrap', ok: () => onPath('debootstrap'), packages: ['debootstrap'] },
  { what: 'docker-compose', ok: () => onPath('docker-compose'), packages: ['docker-compose'] },
  { what: 'caddy', ok: () => onPath('caddy'), packages: ['caddy'] },
  {
    what: 'PyTorch for /usr/bin/python3',
    ok: () => quiet('/usr/bin/python3', ['-c', 'import torch, torchvision, h5py, onnx, numpy, PIL']),
    packages: ['python3-torch', 'python3-torchvision', 'python3-h5py', 'python3-onnx', 'python3-numpy', 'python3-pil'],
  },
];

/**
 * `full`: the README's test command (install with `npm ci` where needed, models, the machine's packages, Redis);
 * otherwise the developer's run of a few files: packages and models only, each checked in well under a second.
 */
export async function setUp({ full }) {
  installPackages({ full });
  ensureModels();
  if (!existsSync(path.join(sharedDir, 'images', 'labels.csv'))) {
    throw new SetupError(
      `the shared test photos are missing: no ${path.join(sharedDir, 'images', 'labels.csv')} (set SHARED_DIR to the folder holding images/ and models/)`,
    );
  }
  if (!existsSync(path.join(sharedDir, 'validation', 'labels.csv'))) {
    throw new SetupError(
      `the shared validation photos are missing: no ${path.join(sharedDir, 'validation', 'labels.csv')} (set SHARED_DIR to the folder holding validation/)`,
    );
  }
  if (!full) return;
  installSystemPackages();
  await checkRedis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (!onPath('cfn-lint')) {
    throw new SetupError('cfn-lint is missing (test/deploy lints the CloudFormation template): pip install cfn-lint');
  }
  if (process.env.CONTAINER_TEST !== 'skip' && process.getuid?.() !== 0) {
    throw new SetupError(
      'the container test needs root (its own dockerd, debootstrap): run as root, or set CONTAINER_TEST=skip',
    );
  }
}

/** `npm ci` when node_modules is missing or differs from package-lock.json; always under CI=true (a clean install). */
function installPackages({ full }) {
  const reason =
    full && process.env.CI === 'true' ? 'CI=true: a clean install' : staleReason(path.join(root, 'node_modules'));
  if (reason === undefined) return;
  log(`npm ci (${reason})`);
  // onnxruntime-node's install step would download CUDA binaries from outside the npm registry: CPU build only here.
  run('npm', ['ci', '--no-audit', '--no-fund'], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
}

/**
 * Why node_modules does not match the lockfile, or undefined when it does: npm's own record of what it installed
 * (node_modules/.package-lock.json) against package-lock.json, package by package. Optional packages may be absent
 * (other platforms' binaries).
 */
function staleReason(modules) {
  const hidden = path.join(modules, '.package-lock.json');
  if (!existsSync(hidden)) return existsSync(modules) ? 'node_modules was not installed by npm' : 'no node_modules';
  const wanted = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages ?? {};
  const installed = JSON.parse(readFileSync(hidden, 'utf8')).packages ?? {};
  for (const [name, entry] of Object.entries(wanted)) {
    if (name === '') continue;
    const have = installed[name];
    if (have === undefined && !entry.optional) return `${name} is not installed`;
    if (have !== undefined && have.version !== entry.version) {
      return `${name} is ${have.version}, the lockfile says ${entry.version}`;
    }
  }
  return undefined;
}

/** Each model file present and matching its manifest's sha256, else copied from the shared folder by `model pull`. */
function ensureModels() {
  for (const { id, from } of MODELS) {
    const manifest = JSON.parse(readFileSync(path.join(root, 'models', `${id}.json`), 'utf8'));
    const files = [{ file: manifest.file, sha256: manifest.sha256 }];
    if (manifest.derivedFrom) files.push(manifest.derivedFrom);
    if (files.every(({ file, sha256 }) => sha256OfFile(path.join(root, 'models', file)) === sha256)) continue;
    const source = path.join(sharedDir, 'models', from);
    const args = ['run', '--silent', 'model:pull', '--', id];
    if (existsSync(source)) args.push('--from', source);
    else if (manifest.source === null) {
      throw new SetupError(
        `model ${id} is not in models/ and ${source} is missing (set SHARED_DIR to the folder holding models/${from})`,
      );
    } else log(`${source} is missing: downloading ${id} from its manifest's source`);
    log(`model pull ${id}`);
    run('npm', args);
  }
}

/** The file's sha256 (hex), or undefined when there is no file. */
function sha256OfFile(file) {
  if (!existsSync(file)) return undefined;
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The missing Debian packages, installed with apt-get as root; elsewhere one line that names them. */
function installSystemPackages() {
  const missing = SYSTEM.filter((need) => !need.ok());
  if (missing.length === 0) return;
  const packages = missing.flatMap((need) => need.packages);
  const what = missing.map((need) => need.what).join(', ');
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new SetupError(`missing ${what}: sudo apt-get install -y ${packages.join(' ')} (Debian/Ubuntu), then again`);
  }
  log(`apt-get install ${packages.join(' ')} (for ${what})`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], env);
  run('apt-get', ['install', '-y', ...packages], env);
  const still = missing.filter((need) => !need.ok());
  if (still.length > 0) throw new SetupError(`still missing after apt-get: ${still.map((n) => n.what).join(', ')}`);
}

/** A PING answered with +PONG, within 3 s. */
async function checkRedis(url) {
  const { hostname, port } = new URL(url);
  const answered = await new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    let reply = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
  if (!answered) {
    throw new SetupError(
      `no Redis answers at ${url} (the tests use their own key prefix there): start one (redis-server --daemonize yes) or set TEST_REDIS_URL`,
    );
  }
}

function onPath(binary) {
  return quiet('sh', ['-c', `command -v ${binary}`]);
}

function dpkgHas(pkg) {
  return quiet('dpkg', ['-s', pkg], (out) => out.includes('Status: install ok installed'));
}

function quiet(command, args, accept = () => true) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return result.status === 0 && accept(result.stdout);
}

/** Runs a set-up command in the checkout, its output shown; a failure ends the set-up with its name. */
export function run(command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    throw new SetupError(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
}

function log(line) {
  console.log(`test set-up: ${line}`);
}
