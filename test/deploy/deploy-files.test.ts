/**
 * The deployment files, checked with what runs here — there is no Docker engine and no AWS:
 * - Dockerfile and .dockerignore: stages and targets, base images, non-root users, health checks, what is copied;
 *   the HEALTHCHECK one-liner is run against a local HTTP server.
 * - docker-compose.yml: parsed (yaml), services, Redis flags, health checks, GPU reservation, profiles.
 * - deploy/aws/dog-breeds.yaml: parsed with CloudFormation's short-form tags, every reference resolved, resource
 *   types, GPU requirement, secrets, logs, scaling; cfn-lint (which the machine image ships) passes; the inline
 *   queue-metric Lambda runs against this machine's Redis (plain and over TLS) with a stand-in for boto3.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { PHOTO_QUEUE, type PhotoJobData } from '../../src/queue/contract.ts';
import { createPhotoQueue } from '../../src/queue/photo-queue.ts';
import { ROOT } from '../support/paths.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const run = promisify(execFile);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TEMPLATE_FILE = path.join(ROOT, 'deploy/aws/dog-breeds.yaml');

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function obj(value: unknown, what: string): Json {
  assert.ok(isObject(value), `${what} should be a mapping, got ${JSON.stringify(value)}`);
  return value;
}
function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} should be a list, got ${JSON.stringify(value)}`);
  return value;
}
function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what} should be a string, got ${JSON.stringify(value)}`);
  return value as string;
}

const temp = tempDirs();
after(() => temp.removeAll());
const tempDir = () => temp.make('deploy');

// --- Dockerfile -------------------------------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Logical instructions (comments dropped, `\` continuations joined), build args before the first FROM, and stages. */
function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    if (raw.trimStart().startsWith('#')) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    if (whole !== '') logical.push(whole);
  }
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const words = rest.filter((w) => !w.startsWith('--'));
      const image = (words[0] ?? '').replace(/\$\{(\w+)\}/g, (_m, name: string) => globalArgs.get(name) ?? '');
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ name: asIndex >= 0 ? (words[asIndex + 1] ?? '') : '', from: image, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [name = '', value = ''] = instruction.args.split('=');
        globalArgs.set(name, value);
      }
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** The exec-form command of a HEALTHCHECK's arguments (`--interval=… CMD ["node", "-e", "…"]`). */
function healthcheckCommand(args: string): string[] {
  const match = /\bCMD\s+(\[.*\])\s*$/.exec(args);
  assert.ok(match?.[1], `HEALTHCHECK should use the exec form: ${args}`);
  return JSON.parse(match[1]) as string[];
}

describe('Dockerfile', async () => {
  const text = await readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
  const { stages } = parseDockerfile(text);
  const stage = (name: string): Stage => {
    const found = stages.find((s) => s.name === name);
    assert.ok(found, `stage ${name} should exist (stages: ${stages.map((s) => s.name).join(', ')})`);
    return found;
  };

  it('has the build, models, cuda-deps, gpu and cpu stages, cpu last (the default target)', () => {
    assert.deepEqual(
      stages.map((s) => s.name),
      ['build', 'models', 'cuda-deps', 'gpu', 'cpu'],
    );
    assert.equal(stages.at(-1)?.name, 'cpu');
  });

  it('builds on node:20-bookworm-slim and runs the GPU worker on a CUDA 12 + cuDNN runtime', () => {
    assert.equal(stage('build').from, 'node:20-bookworm-slim');
    assert.equal(stage('cpu').from, 'node:20-bookworm-slim');
    assert.match(stage('gpu').from, /^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu22\.04$/);
    assert.equal(stage('models').from, 'build');
    assert.equal(stage('cuda-deps').from, 'build');
  });

  it('installs without the CUDA download, builds, prunes dev dependencies', () => {
    const build = stage('build');
    assert.ok(instructions(build, 'ENV').some((e) => /ONNXRUNTIME_NODE_INSTALL=skip/.test(e)));
    const runs = instructions(build, 'RUN').join('\n');
    assert.match(runs, /npm ci\b/);
    assert.match(runs, /npm run build\b/);
    assert.match(runs, /npm prune --omit=dev\b/);
  });

  it('fetches the CUDA provider with onnxruntime-node install flag cuda12 and fails if the .so files are missing', () => {
    const runs = instructions(stage('cuda-deps'), 'RUN').join('\n');
    assert.match(runs, /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/);
    assert.match(
      runs,
      /test -f node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/libonnxruntime_providers_cuda\.so/,
    );
    assert.ok(
      instructions(stage('gpu'), 'COPY').some((c) => c === '--from=cuda-deps /app/node_modules ./node_modules'),
      'the gpu image takes node_modules with the CUDA provider',
    );
  });

  it('pulls a model at build time only when MODEL_ID/MODEL_URL are given', () => {
    const models = stage('models');
    const args = instructions(models, 'ARG');
    for (const name of ['MODEL_ID', 'MODEL_URL', 'GATE_MODEL_ID']) {
      assert.ok(args.includes(`${name}=`), `ARG ${name} with an empty default (no model baked in by default)`);
    }
    const runs = instructions(models, 'RUN').join('\n');
    assert.match(runs, /node dist\/cli\/main\.js model pull "\$MODEL_ID" --from "\$MODEL_URL"/);
    assert.ok(instructions(models, 'COPY').includes('models/*.json ./models/'), 'only the manifests are copied');
  });

  it('never copies a model file or anything outside the context', () => {
    for (const s of stages) {
      for (const source of [...instructions(s, 'COPY'), ...instructions(s, 'ADD')]) {
        assert.doesNotMatch(source, /\.onnx\b/, `${s.name}: ${source}`);
        assert.doesNotMatch(source, /(^|\s)\.\.\//, `${s.name}: ${source}`);
        assert.doesNotMatch(source, /shared/, `${s.name}: ${source}`);
      }
      assert.equal(instructions(s, 'ADD').length, 0, `${s.name}: COPY, not ADD (no remote fetches)`);
    }
  });

  for (const name of ['gpu', 'cpu']) {
    it(`${name}: runs as a non-root user, listens on 0.0.0.0, has a HEALTHCHECK on /healthz and a role`, () => {
      const s = stage(name);
      const users = instructions(s, 'USER');
      assert.ok(users.length > 0, 'USER is set');
      assert.ok(!['root', '0', '0:0'].includes(users.at(-1) ?? ''), `last USER is ${users.at(-1)}`);
      assert.equal(users.at(-1), 'node');
      const env = instructions(s, 'ENV').join(' ');
      assert.match(env, /OPS_HOST=0\.0\.0\.0/);
      assert.match(env, /OPS_PORT=9090/);
      assert.match(env, name === 'gpu' ? /DEVICE=cuda/ : /DEVICE=cpu/);
      const checks = instructions(s, 'HEALTHCHECK');
      assert.equal(checks.length, 1);
      assert.match(healthcheckCommand(checks[0] ?? '').join(' '), /\/healthz/);
      const cmd = JSON.parse(instructions(s, 'CMD')[0] ?? '[]') as string[];
      assert.deepEqual(cmd, ['node', 'dist/main.js', name === 'gpu' ? 'worker' : 'all']);
    });
  }

  it('the gpu image makes its non-root user uid 1000, as in the node image', () => {
    assert.match(instructions(stage('gpu'), 'RUN').join('\n'), /useradd --uid 1000 --gid node/);
  });

  it('.dockerignore keeps node_modules, dist, model files, .env, test results and .git out of the context', async () => {
    const ignored = (await readFile(path.join(ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const entry of ['node_modules', 'dist', '*.onnx', '**/*.onnx', '.env', 'test-results', '.git']) {
      assert.ok(ignored.includes(entry), `.dockerignore lists ${entry}`);
    }
    // What the Dockerfile copies from the context must not be ignored.
    for (const needed of ['package.json', 'package-lock.json', '.npmrc', 'src', 'models', 'tsconfig.json']) {
      assert.ok(!ignored.includes(needed), `${needed} is needed by the build`);
    }
  });

  describe('the HEALTHCHECK command, run', () => {
    let server: Server;
    let status = 200;
    before(async () => {
      server = createServer((req, res) => {
        res.statusCode = req.url === '/healthz' ? status : 404;
        res.end();
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    });
    after(() => server.close());

    /** Exit code of the image's health check against `port` (async: the server answers from this process). */
    async function check(port: number): Promise<number> {
      const command = healthcheckCommand(instructions(stage('cpu'), 'HEALTHCHECK')[0] ?? '');
      assert.equal(command[0], 'node');
      try {
        await run(process.execPath, command.slice(1), { env: { OPS_PORT: String(port) }, timeout: 10_000 });
        return 0;
      } catch (error) {
        return (error as { code?: number }).code ?? -1;
      }
    }

    it('passes when /healthz answers 200 on OPS_PORT, fails on 503 and when nothing listens', async () => {
      const port = (server.address() as AddressInfo).port;
      status = 200;
      assert.equal(await check(port), 0);
      status = 503;
      assert.equal(await check(port), 1);
      const closed = createServer();
      closed.listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const freePort = (closed.address() as AddressInfo).port;
      closed.close();
      await once(closed, 'close');
      assert.equal(await check(freePort), 1);
    });

    it('is the same command in the images, docker-compose.yml and the ECS task definitions', async () => {
      const script = healthcheckCommand(instructions(stage('cpu'), 'HEALTHCHECK')[0] ?? '')[2];
      assert.equal(healthcheckCommand(instructions(stage('gpu'), 'HEALTHCHECK')[0] ?? '')[2], script);
      const compose = await loadCompose();
      for (const name of ['bot', 'worker', 'worker-cpu']) {
        const test = list(obj(service(compose, name).healthcheck, `${name}.healthcheck`).test, 'test');
        assert.equal(test[3], script, `compose ${name}`);
      }
      for (const container of containers(await loadTemplate())) {
        const command = list(obj(container.HealthCheck, 'HealthCheck').Command, 'Command');
        assert.deepEqual(command, ['CMD', 'node', '-e', script], `task container ${String(container.Name)}`);
      }
    });
  });
});

// --- docker-compose.yml ------------------------------------------------------------------------------------------------

async function loadCompose(): Promise<Json> {
  // merge: resolves the `<<: *app` merge keys as Compose does.
  return obj(parse(await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }), 'compose');
}
function service(compose: Json, name: string): Json {
  return obj(obj(compose.services, 'services')[name], `service ${name}`);
}

describe('docker-compose.yml', async () => {
  const compose = await loadCompose();
  const { stages } = parseDockerfile(await readFile(path.join(ROOT, 'Dockerfile'), 'utf8'));

  it('has redis, bot, worker and worker-cpu', () => {
    assert.deepEqual(Object.keys(obj(compose.services, 'services')).sort(), ['bot', 'redis', 'worker', 'worker-cpu']);
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

  const roles: [string, string, string][] = [
    ['bot', 'cpu', 'bot'],
    ['worker', 'gpu', 'worker'],
    ['worker-cpu', 'cpu', 'worker'],
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
      for (const port of list(s.ports, 'ports')) assert.match(String(port), /^127\.0\.0\.1:\d+:9090$/);
    });
  }

  it('worker: reserves one NVIDIA GPU, uses CUDA, starts by default (no profile)', () => {
    const worker = service(compose, 'worker');
    const devices = list(
      obj(obj(obj(worker.deploy, 'deploy').resources, 'resources').reservations, 'reservations').devices,
      'devices',
    );
    assert.deepEqual(devices, [{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
    assert.equal(obj(worker.environment, 'environment').DEVICE, 'cuda');
    assert.equal(worker.platform, 'linux/amd64');
    assert.equal(worker.profiles, undefined);
  });

  it('worker-cpu: only in the cpu profile, on the CPU, no GPU reservation', () => {
    const workerCpu = service(compose, 'worker-cpu');
    assert.deepEqual(workerCpu.profiles, ['cpu']);
    assert.equal(obj(workerCpu.environment, 'environment').DEVICE, 'cpu');
    assert.equal(workerCpu.deploy, undefined);
  });

  it('the workers read the models from ./models, read-only; the bot needs none', () => {
    for (const name of ['worker', 'worker-cpu']) {
      assert.deepEqual(service(compose, name).volumes, ['./models:/app/models:ro']);
    }
    assert.equal(service(compose, 'bot').volumes, undefined);
  });
});

// --- CloudFormation -----------------------------------------------------------------------------------------------------

/** CloudFormation's short forms (`!Ref X`, `!Sub '…'`, `!If [c, a, b]`, …) as their long JSON forms. */
const INTRINSICS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  FindInMap: 'Fn::FindInMap',
  GetAtt: 'Fn::GetAtt',
  GetAZs: 'Fn::GetAZs',
  ImportValue: 'Fn::ImportValue',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  Sub: 'Fn::Sub',
  And: 'Fn::And',
  Equals: 'Fn::Equals',
  If: 'Fn::If',
  Not: 'Fn::Not',
  Or: 'Fn::Or',
};
const CFN_TAGS = Object.entries(INTRINSICS).flatMap(([short, long]) => [
  {
    tag: `!${short}`,
    resolve: (value: string) => ({ [long]: long === 'Fn::GetAtt' ? value.split('.') : value }),
  },
  {
    tag: `!${short}`,
    collection: 'seq' as const,
    resolve: (value: { toJSON(): unknown }) => ({ [long]: value.toJSON() }),
  },
  {
    tag: `!${short}`,
    collection: 'map' as const,
    resolve: (value: { toJSON(): unknown }) => ({ [long]: value.toJSON() }),
  },
]);

function parseTemplate(text: string): Json {
  return obj(parse(text, { customTags: CFN_TAGS }), 'template');
}
async function loadTemplate(): Promise<Json> {
  return parseTemplate(await readFile(TEMPLATE_FILE, 'utf8'));
}

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

/** Every Ref, GetAtt, Sub variable, If/Condition and DependsOn that names nothing the template declares. */
function referenceProblems(template: Json): string[] {
  const parameters = new Set(Object.keys(obj(template.Parameters ?? {}, 'Parameters')));
  const resources = new Set(Object.keys(obj(template.Resources, 'Resources')));
  const conditions = new Set(Object.keys(obj(template.Conditions ?? {}, 'Conditions')));
  const problems: string[] = [];
  const named = (name: string) => parameters.has(name) || resources.has(name) || PSEUDO_PARAMETERS.has(name);
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        visit(item, `${where}[${i}]`);
      });
      return;
    }
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      const at = `${where}.${key}`;
      if (key === 'Ref' && !(typeof value === 'string' && named(value))) problems.push(`${at}: ${String(value)}`);
      if (key === 'Fn::GetAtt') {
        const target = Array.isArray(value) ? value[0] : undefined;
        if (typeof target !== 'string' || !resources.has(target)) problems.push(`${at}: ${JSON.stringify(value)}`);
      }
      if (key === 'Fn::Sub') {
        const [text, variables] = Array.isArray(value) ? [value[0], obj(value[1], at)] : [value, {}];
        for (const match of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = (match[1] ?? '').trim();
          if (name in variables) continue;
          const ok = name.includes('.') ? resources.has(name.split('.')[0] ?? '') : named(name);
          if (!ok) problems.push(`${at}: variable ${name}`);
        }
      }
      if (key === 'Fn::If') {
        const condition = Array.isArray(value) ? value[0] : undefined;
        if (typeof condition !== 'string' || !conditions.has(condition)) problems.push(`${at}: ${String(condition)}`);
      }
      if (key === 'Condition' && typeof value === 'string' && !conditions.has(value)) {
        problems.push(`${at}: ${value}`);
      }
      visit(value, at);
    }
  };
  for (const [name, resource] of Object.entries(obj(template.Resources, 'Resources'))) {
    const dependsOn = obj(resource, name).DependsOn;
    for (const dependency of dependsOn === undefined ? [] : [dependsOn].flat()) {
      if (!resources.has(String(dependency))) problems.push(`Resources.${name}.DependsOn: ${String(dependency)}`);
    }
  }
  visit(template.Conditions, 'Conditions');
  visit(template.Resources, 'Resources');
  visit(template.Outputs, 'Outputs');
  return problems;
}

/** The real resource types this template may use (cfn-lint checks they exist in AWS's schemas too). */
const KNOWN_TYPES = new Set([
  'AWS::ApplicationAutoScaling::ScalableTarget',
  'AWS::ApplicationAutoScaling::ScalingPolicy',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::CloudWatch::Alarm',
  'AWS::EC2::LaunchTemplate',
  'AWS::EC2::SecurityGroup',
  'AWS::ECS::CapacityProvider',
  'AWS::ECS::Cluster',
  'AWS::ECS::ClusterCapacityProviderAssociations',
  'AWS::ECS::Service',
  'AWS::ECS::TaskDefinition',
  'AWS::ElastiCache::ParameterGroup',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::SubnetGroup',
  'AWS::Events::Rule',
  'AWS::IAM::InstanceProfile',
  'AWS::IAM::Role',
  'AWS::Lambda::Function',
  'AWS::Lambda::Permission',
  'AWS::Logs::LogGroup',
]);

function resourcesOfType(template: Json, type: string): [string, Json][] {
  return Object.entries(obj(template.Resources, 'Resources'))
    .map(([name, resource]): [string, Json] => [name, obj(resource, name)])
    .filter(([, resource]) => resource.Type === type);
}
function props(template: Json, name: string): Json {
  const resource = obj(obj(template.Resources, 'Resources')[name], `resource ${name}`);
  return obj(resource.Properties, `${name}.Properties`);
}
function containers(template: Json): Json[] {
  return resourcesOfType(template, 'AWS::ECS::TaskDefinition').flatMap(([name, resource]) =>
    list(obj(resource.Properties, name).ContainerDefinitions, `${name}.ContainerDefinitions`).map((c) =>
      obj(c, `${name} container`),
    ),
  );
}
function container(template: Json, name: string): Json {
  const found = containers(template).find((c) => c.Name === name);
  assert.ok(found, `a container named ${name}`);
  return found;
}
/** A container's Environment as a map; a conditional entry (`!If [cond, {Name, Value}, !Ref AWS::NoValue]`) counts. */
function environment(c: Json): Map<string, unknown> {
  const entries = list(c.Environment, 'Environment')
    .map((e) => obj(e, 'Environment entry'))
    .map((e) => (e['Fn::If'] === undefined ? e : obj(list(e['Fn::If'], 'Fn::If')[1], 'Fn::If entry')))
    .map((e): [string, unknown] => [str(e.Name, 'Name'), e.Value]);
  return new Map(entries);
}

describe('deploy/aws/dog-breeds.yaml (CloudFormation)', async () => {
  const template = await loadTemplate();

  it('parses with the short-form tags into the long forms', () => {
    assert.equal(template.AWSTemplateFormatVersion, '2010-09-09');
    assert.deepEqual(props(template, 'BotService').Cluster, { Ref: 'Cluster' });
    assert.deepEqual(obj(props(template, 'WorkerLaunchTemplate').LaunchTemplateData, 'data').IamInstanceProfile, {
      Arn: { 'Fn::GetAtt': ['WorkerInstanceProfile', 'Arn'] },
    });
  });

  it('every !Ref, !GetAtt, !Sub variable, condition and DependsOn names something declared', () => {
    assert.deepEqual(referenceProblems(template), []);
  });

  it('the reference check reports what it should (self-check on a broken template)', () => {
    const broken = parseTemplate(`
Parameters: { P: { Type: String } }
Conditions: { C: !Equals [!Ref P, x] }
Resources:
  A:
    Type: AWS::SNS::Topic
    DependsOn: Ghost
    Properties:
      TopicName: !Sub '\${P}-\${Missing}-\${A.TopicName}-\${!Literal}-\${V}'
      DisplayName: !If [NoSuchCondition, !Ref P, !Ref Nope]
      Tags: [{ Key: k, Value: !GetAtt Gone.Arn }, { Key: v, Value: !Sub ['\${V}', { V: !Ref AWS::Region }] }]
`);
    assert.deepEqual(referenceProblems(broken).sort(), [
      'Resources.A.DependsOn: Ghost',
      'Resources.A.Properties.DisplayName.Fn::If: NoSuchCondition',
      'Resources.A.Properties.DisplayName.Fn::If[2].Ref: Nope',
      'Resources.A.Properties.Tags[0].Value.Fn::GetAtt: ["Gone","Arn"]',
      'Resources.A.Properties.TopicName.Fn::Sub: variable Missing',
      'Resources.A.Properties.TopicName.Fn::Sub: variable V',
    ]);
  });

  it('uses only known, real AWS resource types', () => {
    for (const [name, resource] of Object.entries(obj(template.Resources, 'Resources'))) {
      const type = str(obj(resource, name).Type, `${name}.Type`);
      assert.ok(KNOWN_TYPES.has(type), `${name}: ${type}`);
    }
  });

  it('the worker task asks for one GPU on EC2; its instances run the ECS GPU AMI through a capacity provider', () => {
    assert.deepEqual(container(template, 'worker').ResourceRequirements, [{ Type: 'GPU', Value: '1' }]);
    assert.deepEqual(props(template, 'WorkerTaskDefinition').RequiresCompatibilities, ['EC2']);
    const ami = obj(obj(template.Parameters, 'Parameters').GpuAmiId, 'GpuAmiId');
    assert.equal(ami.Type, 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
    assert.match(
      str(ami.Default, 'Default'),
      /^\/aws\/service\/ecs\/optimized-ami\/amazon-linux-2023\/gpu\/recommended\/image_id$/,
    );
    const instanceTypes = list(obj(obj(template.Parameters, 'Parameters').WorkerInstanceType, 'p').AllowedValues, 'v');
    for (const type of instanceTypes) assert.match(String(type), /^(g4dn|g5)\./);
    const launch = obj(props(template, 'WorkerLaunchTemplate').LaunchTemplateData, 'LaunchTemplateData');
    assert.deepEqual(launch.ImageId, { Ref: 'GpuAmiId' });
    const provider = obj(props(template, 'GpuCapacityProvider').AutoScalingGroupProvider, 'provider');
    assert.deepEqual(provider.AutoScalingGroupArn, { Ref: 'WorkerAutoScalingGroup' });
    assert.equal(obj(provider.ManagedScaling, 'ManagedScaling').Status, 'ENABLED');
    assert.equal(props(template, 'WorkerAutoScalingGroup').NewInstancesProtectedFromScaleIn, true);
    const strategy = list(props(template, 'WorkerService').CapacityProviderStrategy, 'strategy');
    assert.deepEqual(obj(strategy[0], 'strategy[0]').CapacityProvider, { Ref: 'GpuCapacityProvider' });
    assert.deepEqual(container(template, 'worker').Image, { Ref: 'WorkerImage' });
    assert.deepEqual(container(template, 'bot').Image, { Ref: 'BotImage' });
    assert.equal(environment(container(template, 'worker')).get('DEVICE'), 'cuda');
  });

  it('the bot is one Fargate task, stopped before its replacement starts (one Telegram poller per token)', () => {
    assert.deepEqual(props(template, 'BotTaskDefinition').RequiresCompatibilities, ['FARGATE']);
    const bot = props(template, 'BotService');
    assert.equal(bot.LaunchType, 'FARGATE');
    assert.equal(bot.DesiredCount, 1);
    assert.equal(obj(bot.DeploymentConfiguration, 'DeploymentConfiguration').MaximumPercent, 100);
    assert.deepEqual(container(template, 'bot').Command, ['node', 'dist/main.js', 'bot']);
    assert.deepEqual(container(template, 'worker').Command, ['node', 'dist/main.js', 'worker']);
  });

  it('the token comes from Secrets Manager through Secrets, never as a plain variable', () => {
    for (const c of containers(template)) {
      assert.deepEqual(c.Secrets, [{ Name: 'BOT_TOKEN', ValueFrom: { Ref: 'BotTokenSecretArn' } }]);
      assert.ok(!environment(c).has('BOT_TOKEN'), `${String(c.Name)} has no BOT_TOKEN in Environment`);
    }
    const policies = list(props(template, 'TaskExecutionRole').Policies, 'Policies');
    assert.match(
      JSON.stringify(policies),
      /"Action":"secretsmanager:GetSecretValue","Resource":\{"Ref":"BotTokenSecretArn"\}/,
    );
  });

  it('logs go to CloudWatch through awslogs', () => {
    for (const c of containers(template)) {
      const logging = obj(c.LogConfiguration, 'LogConfiguration');
      assert.equal(logging.LogDriver, 'awslogs');
      assert.deepEqual(obj(logging.Options, 'Options')['awslogs-group'], { Ref: 'LogGroup' });
    }
    assert.deepEqual(obj(props(template, 'QueueMetricFunction').LoggingConfig, 'LoggingConfig').LogGroup, {
      Ref: 'LogGroup',
    });
  });

  it('Redis is ElastiCache with TLS (rediss://) and maxmemory-policy noeviction', () => {
    const parameterGroup = props(template, 'RedisParameterGroup');
    assert.equal(obj(parameterGroup.Properties, 'Properties')['maxmemory-policy'], 'noeviction');
    const redis = props(template, 'Redis');
    assert.equal(redis.TransitEncryptionEnabled, true);
    assert.deepEqual(redis.CacheParameterGroupName, { Ref: 'RedisParameterGroup' });
    for (const c of containers(template)) {
      const url = obj(environment(c).get('REDIS_URL'), 'REDIS_URL');
      assert.match(str(url['Fn::Sub'], 'REDIS_URL'), /^rediss:\/\/\$\{Redis\.PrimaryEndPoint\.Address\}:/);
      assert.equal(environment(c).get('OPS_HOST'), '0.0.0.0');
    }
  });

  it('the worker scales by target tracking on the metric the queue Lambda publishes', () => {
    const target = props(template, 'WorkerScalableTarget');
    assert.equal(target.ScalableDimension, 'ecs:service:DesiredCount');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${} substitution, not JavaScript's
    assert.deepEqual(target.ResourceId, { 'Fn::Sub': 'service/${Cluster}/${WorkerService.Name}' });
    const policy = props(template, 'WorkerScalingPolicy');
    assert.equal(policy.PolicyType, 'TargetTrackingScaling');
    assert.deepEqual(policy.ScalingTargetId, { Ref: 'WorkerScalableTarget' });
    const tracking = obj(policy.TargetTrackingScalingPolicyConfiguration, 'TargetTrackingScalingPolicyConfiguration');
    const metric = obj(tracking.CustomizedMetricSpecification, 'CustomizedMetricSpecification');
    const lambda = props(template, 'QueueMetricFunction');
    const variables = obj(obj(lambda.Environment, 'Environment').Variables, 'Variables');
    assert.equal(metric.Namespace, variables.METRIC_NAMESPACE);
    assert.equal(metric.MetricName, 'BacklogPerWorker');
    assert.deepEqual(metric.Dimensions, [
      { Name: 'Cluster', Value: variables.CLUSTER },
      { Name: 'Service', Value: variables.SERVICE },
    ]);
    const code = str(obj(lambda.Code, 'Code').ZipFile, 'ZipFile');
    assert.match(code, /"MetricName": "BacklogPerWorker"/);
    assert.match(code, /\{"Name": "Cluster", "Value": env\["CLUSTER"\]\}/);
    assert.equal(variables.QUEUE_NAME, PHOTO_QUEUE);
    assert.equal(props(template, 'QueueMetricSchedule').ScheduleExpression, 'rate(1 minute)');
  });

  it('cfn-lint (shipped with the machine image) finds nothing', () => {
    const lint = spawnSync('cfn-lint', ['--', TEMPLATE_FILE], { encoding: 'utf8', timeout: 120_000 });
    assert.ifError(lint.error); // ENOENT: cfn-lint is missing (`pip install cfn-lint`)
    assert.equal(lint.status, 0, `cfn-lint:\n${lint.stdout}${lint.stderr}`);
  });

  it('the README deploy command passes every parameter that has no default', async () => {
    const readme = await readFile(path.join(ROOT, 'deploy/aws/README.md'), 'utf8');
    const required = Object.entries(obj(template.Parameters, 'Parameters'))
      .filter(([, p]) => obj(p, 'parameter').Default === undefined)
      .map(([name]) => name);
    assert.ok(required.length > 0);
    for (const name of required) assert.match(readme, new RegExp(`\\b${name}=`), `README passes ${name}`);
  });
});

// --- The queue-metric Lambda, run for real -------------------------------------------------------------------------------

/** Runs the template's inline Lambda with python3; boto3 is a stand-in that reports what would reach AWS. */
async function runLambda(env: Record<string, string>): Promise<{ result: Json; metrics: Json }> {
  const dir = await tempDir();
  const lambda = props(await loadTemplate(), 'QueueMetricFunction');
  await writeFile(path.join(dir, 'index.py'), str(obj(lambda.Code, 'Code').ZipFile, 'ZipFile'));
  await writeFile(
    path.join(dir, 'boto3.py'),
    [
      '# Stand-in for boto3: ECS says STUB_RUNNING tasks run; CloudWatch prints what it is given.',
      'import json, os',
      'class _Client:',
      '    def describe_services(self, cluster, services):',
      '        return {"services": [{"serviceName": services[0], "runningCount": int(os.environ["STUB_RUNNING"])}]}',
      '    def put_metric_data(self, **request):',
      '        print("METRICS " + json.dumps(request))',
      'def client(name):',
      '    return _Client()',
      '',
    ].join('\n'),
  );
  const { stdout } = await run(
    'python3',
    ['-c', 'import index, json; print("RESULT " + json.dumps(index.handler({}, None)))'],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        PYTHONPATH: dir,
        QUEUE_NAME: PHOTO_QUEUE,
        CLUSTER: 'dog-breeds-cluster',
        SERVICE: 'dog-breeds-worker',
        METRIC_NAMESPACE: 'DogBreeds',
        ...env,
      },
      timeout: 30_000,
    },
  );
  const line = (prefix: string) => {
    const found = stdout.split('\n').find((l) => l.startsWith(prefix));
    assert.ok(found, `python printed ${prefix}: ${stdout}`);
    return obj(JSON.parse(found.slice(prefix.length)), prefix);
  };
  return { result: line('RESULT '), metrics: line('METRICS ') };
}

function job(messageId: number): PhotoJobData {
  return { chatId: 1, messageId, fileId: 'f', fileUniqueId: 'u', statusMessageId: 2, userId: 3 };
}

describe('the queue-metric Lambda against Redis', () => {
  it('counts the waiting and prioritized jobs BullMQ left in Redis (not delayed ones), per running worker', async () => {
    const prefix = `test-deploy-${process.pid}-${Date.now()}`;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = createPhotoQueue({ connection: redis, prefix, attempts: 1, retention: { count: 10, seconds: 60 } });
    try {
      for (const id of [1, 2, 3]) await queue.add('classify', job(id));
      for (const id of [4, 5]) await queue.add('classify', job(id), { priority: 1 });
      await queue.add('classify', job(6), { delay: 600_000 });
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
      assert.deepEqual(counts, { waiting: 3, prioritized: 2, delayed: 1 });

      const url = new URL(REDIS_URL);
      const { result, metrics } = await runLambda({
        REDIS_HOST: url.hostname,
        REDIS_PORT: url.port || '6379',
        REDIS_TLS: 'false',
        QUEUE_PREFIX: prefix,
        STUB_RUNNING: '2',
      });
      assert.deepEqual(result, { waiting: 5, running: 2, backlogPerWorker: 2.5 });
      const dimensions = [
        { Name: 'Cluster', Value: 'dog-breeds-cluster' },
        { Name: 'Service', Value: 'dog-breeds-worker' },
      ];
      assert.deepEqual(metrics, {
        Namespace: 'DogBreeds',
        MetricData: [
          { MetricName: 'WaitingJobs', Dimensions: dimensions, Value: 5, Unit: 'Count' },
          { MetricName: 'BacklogPerWorker', Dimensions: dimensions, Value: 2.5, Unit: 'Count' },
        ],
      });

      // No worker running: the whole backlog is reported, so target tracking has a reason to add one.
      const idle = await runLambda({
        REDIS_HOST: url.hostname,
        REDIS_PORT: url.port || '6379',
        REDIS_TLS: 'false',
        QUEUE_PREFIX: prefix,
        STUB_RUNNING: '0',
      });
      assert.deepEqual(idle.result, { waiting: 5, running: 0, backlogPerWorker: 5 });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  });

  describe('over TLS, as with ElastiCache (rediss://)', () => {
    let dir = '';
    let server: ReturnType<typeof spawn> | undefined;
    let port = 0;

    before(async () => {
      dir = await tempDir();
      const openssl = async (...args: string[]) => run('openssl', args, { cwd: dir });
      // A throwaway CA and a server certificate for "localhost" signed by it.
      const key = ['-newkey', 'rsa:2048', '-nodes'];
      await openssl(
        'req',
        '-x509',
        ...key,
        '-days',
        '1',
        '-subj',
        '/CN=test-ca',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
      );
      await openssl('req', ...key, '-subj', '/CN=localhost', '-keyout', 'redis.key', '-out', 'redis.csr');
      await writeFile(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
      await openssl(
        'x509',
        '-req',
        '-in',
        'redis.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        'ext.cnf',
        '-out',
        'redis.crt',
      );
      const probe = createServer();
      probe.listen(0, '127.0.0.1');
      await once(probe, 'listening');
      port = (probe.address() as AddressInfo).port;
      probe.close();
      await once(probe, 'close');
      server = spawn(
        'redis-server',
        [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--tls-cert-file',
          'redis.crt',
          '--tls-key-file',
          'redis.key',
          '--tls-ca-cert-file',
          'ca.crt',
          '--tls-auth-clients',
          'no',
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let output = '';
      server.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const deadline = Date.now() + 10_000;
      while (!output.includes('Ready to accept connections')) {
        assert.ok(Date.now() < deadline && server.exitCode === null, `redis-server with TLS did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    after(() => {
      server?.kill();
    });

    it('verifies the server certificate and reads the queue', async () => {
      const ca = await readFile(path.join(dir, 'ca.crt'));
      const redis = new Redis({ host: 'localhost', port, tls: { ca }, maxRetriesPerRequest: 1 });
      try {
        await redis.rpush(`tls:${PHOTO_QUEUE}:wait`, 'a', 'b', 'c', 'd');
        await redis.zadd(`tls:${PHOTO_QUEUE}:prioritized`, 1, 'e');
      } finally {
        redis.disconnect();
      }
      const env = { REDIS_HOST: 'localhost', REDIS_PORT: String(port), QUEUE_PREFIX: 'tls', STUB_RUNNING: '1' };
      // REDIS_TLS is left to its default (true), as in the template.
      const { result } = await runLambda({ ...env, SSL_CERT_FILE: path.join(dir, 'ca.crt') });
      assert.deepEqual(result, { waiting: 5, running: 1, backlogPerWorker: 5 });
      // A certificate from an unknown CA is refused: the TLS connection really is verified.
      await assert.rejects(runLambda(env), /CERTIFICATE_VERIFY_FAILED/);
    });
  });
});
