/**
 * The deployment files, checked with what runs here — there is no Docker engine and no AWS:
 * - Dockerfile and .dockerignore: stages and targets, base images, non-root users, health checks, what is copied;
 *   the HEALTHCHECK one-liner is run against a local HTTP server.
 * - deploy/aws/dog-breeds.yaml: parsed with CloudFormation's short-form tags, every reference resolved (also with
 *   the conditions decided, for CPU and for GPU workers), resource types, the webhook's load balancer, the workers,
 *   secrets, the settings the tasks set, logs, scaling; cfn-lint (which the machine image ships) passes; the inline
 *   queue-metric Lambda runs against this machine's Redis (plain and over TLS) with a stand-in for boto3.
 * docker-compose.yml is checked in compose.test.ts; the image is built and run by scripts/container-test.sh.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { configSchema } from '../../src/config/schema.ts';
import { PHOTO_QUEUE, type PhotoJobData } from '../../src/queue/contract.ts';
import { createPhotoQueue } from '../../src/queue/photo-queue.ts';
import { ROOT } from '../support/paths.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import {
  container,
  containers,
  environment,
  healthcheckCommand,
  instructions,
  type Json,
  list,
  loadCompose,
  loadTemplate,
  obj,
  parseDockerfile,
  parseTemplate,
  props,
  referenceProblems,
  resolveTemplate,
  resourcesOfType,
  type Stage,
  service,
  str,
  TEMPLATE_FILE,
} from './deploy-support.ts';

const run = promisify(execFile);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const temp = tempDirs();
after(() => temp.removeAll());
const tempDir = () => temp.make('deploy');

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

  it('fetches nothing before the build: no `# syntax=` frontend image, and the base images are build arguments', () => {
    assert.doesNotMatch(text, /^#\s*syntax\s*=/im);
    const { globalArgs } = parseDockerfile(text);
    assert.equal(globalArgs.get('NODE_IMAGE'), 'node:20-bookworm-slim');
    assert.match(globalArgs.get('CUDA_IMAGE') ?? '', /^nvidia\/cuda:/);
    const bases = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1] ?? '');
    const stageNames = new Set(stages.map((s) => s.name));
    for (const base of bases) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ${} substitution
      assert.ok(['${NODE_IMAGE}', '${CUDA_IMAGE}'].includes(base) || stageNames.has(base), `FROM ${base}`);
    }
  });

  it('copies into the build stage every file `npm run build` names, before running it', async () => {
    const manifest = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: { build: string };
    };
    const files = manifest.scripts.build
      .split(/\s+/)
      .filter((word) => word.includes('.') && existsSync(path.join(ROOT, word)));
    assert.deepEqual(files.sort(), ['scripts/copy-locales.mjs', 'tsconfig.build.json']);
    const steps = stage('build').instructions;
    const buildStep = steps.findIndex((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args));
    const copies = (i: { keyword: string; args: string }, file: string) =>
      i.keyword === 'COPY' &&
      i.args
        .split(/\s+/)
        .slice(0, -1)
        .some((source) => source === file || file.startsWith(`${source.replace(/\/$/, '')}/`));
    for (const file of files) {
      const copy = steps.findIndex((i) => copies(i, file));
      assert.ok(copy >= 0 && copy < buildStep, `${file} is copied before npm run build`);
    }
  });

  it("npm can be given a CA for the build as a BuildKit secret (a TLS-inspecting proxy's), never copied in", () => {
    const runs = instructions(stage('build'), 'RUN').join('\n');
    assert.match(runs, /--mount=type=secret,id=npm_ca /);
    assert.match(runs, /export NODE_EXTRA_CA_CERTS=\/run\/secrets\/npm_ca;.*npm ci/);
    for (const s of stages) {
      for (const source of instructions(s, 'COPY')) assert.doesNotMatch(source, /\.(crt|pem)\b/);
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
      for (const name of ['bot', 'worker', 'worker-gpu']) {
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

// --- CloudFormation --------------------------------------------------------------------------------------------------

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
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::Events::Rule',
  'AWS::IAM::InstanceProfile',
  'AWS::IAM::Role',
  'AWS::Lambda::Function',
  'AWS::Lambda::Permission',
  'AWS::Logs::LogGroup',
]);

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

  // As deployed with the defaults (CPU workers), and with WorkerKind=gpu.
  const cpu = resolveTemplate(template);
  const gpu = resolveTemplate(template, { WorkerKind: 'gpu', WorkerImage: 'gpu-image' });

  it('with the conditions decided, for CPU and for GPU workers, every reference still names a resource there', () => {
    assert.deepEqual(referenceProblems(cpu), []);
    assert.deepEqual(referenceProblems(gpu), []);
  });

  it('workers run on Fargate by default (WorkerKind=cpu) for the default model: the cpu image, no GPU capacity', () => {
    const parameters = obj(template.Parameters, 'Parameters');
    assert.equal(obj(parameters.WorkerKind, 'WorkerKind').Default, 'cpu');
    assert.equal(obj(parameters.Model, 'Model').Default, configSchema.shape.MODEL.parse(undefined));
    const task = props(cpu, 'WorkerTaskDefinition');
    assert.deepEqual(task.RequiresCompatibilities, ['FARGATE']);
    assert.deepEqual([task.Cpu, task.Memory], ['1024', '2048']);
    const worker = container(cpu, 'worker');
    assert.equal(worker.ResourceRequirements, undefined);
    assert.equal(environment(worker).get('DEVICE'), 'cpu');
    assert.deepEqual(worker.Image, { Ref: 'BotImage' });
    const service = props(cpu, 'WorkerService');
    assert.deepEqual(service.CapacityProviderStrategy, [{ CapacityProvider: 'FARGATE', Weight: 1 }]);
    assert.equal(service.PlacementStrategies, undefined);
    for (const type of [
      'AWS::EC2::LaunchTemplate',
      'AWS::AutoScaling::AutoScalingGroup',
      'AWS::ECS::CapacityProvider',
    ]) {
      assert.deepEqual(resourcesOfType(cpu, type), [], `no ${type}`);
    }
    assert.deepEqual(props(cpu, 'ClusterCapacityProviders').CapacityProviders, ['FARGATE']);
    // Each size offered is a CPU/memory pair Fargate accepts.
    const memoryFor: Record<string, [number, number]> = {
      '512': [1024, 4096],
      '1024': [2048, 8192],
      '2048': [4096, 16384],
      '4096': [8192, 30720],
    };
    for (const [name, size] of Object.entries(obj(obj(template.Mappings, 'Mappings').FargateSizes, 'FargateSizes'))) {
      const { Cpu, Memory } = obj(size, name);
      const [least, most] = memoryFor[String(Cpu)] ?? [0, -1];
      assert.ok(Number(Memory) >= least && Number(Memory) <= most && Number(Memory) % 1024 === 0, `${name}`);
    }
    const sizes = list(obj(obj(template.Parameters, 'Parameters').FargateWorkerSize, 'p').AllowedValues, 'values');
    assert.deepEqual(sizes, Object.keys(obj(obj(template.Mappings, 'Mappings').FargateSizes, 'FargateSizes')));
  });

  it('WorkerKind=gpu: one GPU per task on EC2, instances of the ECS GPU AMI through a capacity provider', () => {
    assert.deepEqual(container(gpu, 'worker').ResourceRequirements, [{ Type: 'GPU', Value: '1' }]);
    assert.deepEqual(props(gpu, 'WorkerTaskDefinition').RequiresCompatibilities, ['EC2']);
    const ami = obj(obj(template.Parameters, 'Parameters').GpuAmiId, 'GpuAmiId');
    assert.equal(ami.Type, 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
    assert.match(
      str(ami.Default, 'Default'),
      /^\/aws\/service\/ecs\/optimized-ami\/amazon-linux-2023\/gpu\/recommended\/image_id$/,
    );
    const instanceTypes = list(obj(obj(template.Parameters, 'Parameters').WorkerInstanceType, 'p').AllowedValues, 'v');
    for (const type of instanceTypes) assert.match(String(type), /^(g4dn|g5)\./);
    const launch = obj(props(gpu, 'WorkerLaunchTemplate').LaunchTemplateData, 'LaunchTemplateData');
    assert.deepEqual(launch.ImageId, { Ref: 'GpuAmiId' });
    const provider = obj(props(gpu, 'GpuCapacityProvider').AutoScalingGroupProvider, 'provider');
    assert.deepEqual(provider.AutoScalingGroupArn, { Ref: 'WorkerAutoScalingGroup' });
    assert.equal(obj(provider.ManagedScaling, 'ManagedScaling').Status, 'ENABLED');
    assert.equal(props(gpu, 'WorkerAutoScalingGroup').NewInstancesProtectedFromScaleIn, true);
    const strategy = list(props(gpu, 'WorkerService').CapacityProviderStrategy, 'strategy');
    assert.deepEqual(obj(strategy[0], 'strategy[0]').CapacityProvider, { Ref: 'GpuCapacityProvider' });
    assert.deepEqual(props(gpu, 'ClusterCapacityProviders').CapacityProviders, [
      'FARGATE',
      { Ref: 'GpuCapacityProvider' },
    ]);
    assert.deepEqual(container(gpu, 'worker').Image, { Ref: 'WorkerImage' });
    assert.equal(environment(container(gpu, 'worker')).get('DEVICE'), 'cuda');
    // The gpu image must be named: a rule refuses WorkerKind=gpu without WorkerImage before anything is created.
    const rule = obj(obj(template.Rules, 'Rules').GpuWorkersNeedTheGpuImage, 'rule');
    assert.deepEqual(rule.RuleCondition, { 'Fn::Equals': [{ Ref: 'WorkerKind' }, 'gpu'] });
    assert.deepEqual(obj(list(rule.Assertions, 'Assertions')[0], 'assertion').Assert, {
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'WorkerImage' }, ''] }],
    });
  });

  it('the bot: webhook mode, 2 or more Fargate tasks, rolling with no gap (new tasks healthy before old ones go)', () => {
    assert.deepEqual(props(cpu, 'BotTaskDefinition').RequiresCompatibilities, ['FARGATE']);
    const bot = props(cpu, 'BotService');
    assert.equal(bot.LaunchType, 'FARGATE');
    assert.deepEqual(bot.DesiredCount, { Ref: 'BotDesiredCount' });
    const count = obj(obj(template.Parameters, 'Parameters').BotDesiredCount, 'BotDesiredCount');
    assert.ok(Number(count.Default) >= 2 && Number(count.MinValue) >= 2, 'BotDesiredCount: 2 at least');
    const deployment = obj(bot.DeploymentConfiguration, 'DeploymentConfiguration');
    assert.deepEqual([deployment.MinimumHealthyPercent, deployment.MaximumPercent], [100, 200]);
    const env = environment(container(cpu, 'bot'));
    assert.equal(env.get('BOT_MODE'), 'webhook');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${} substitution, not JavaScript's
    assert.deepEqual(env.get('WEBHOOK_URL'), { 'Fn::Sub': 'https://${WebhookDomain}${WebhookPath}' });
    assert.equal(env.get('WEBHOOK_HOST'), '0.0.0.0');
    assert.deepEqual(container(cpu, 'bot').Command, ['node', 'dist/main.js', 'bot']);
    assert.deepEqual(container(cpu, 'worker').Command, ['node', 'dist/main.js', 'worker']);
  });

  it('the load balancer: HTTPS with the ACM certificate; POSTs to WebhookPath go to the webhook port; /healthz on the ops port', () => {
    const balancer = props(cpu, 'WebhookLoadBalancer');
    assert.equal(balancer.Scheme, 'internet-facing');
    assert.deepEqual(balancer.Subnets, { Ref: 'PublicSubnetIds' });
    const listener = props(cpu, 'WebhookListener');
    assert.deepEqual([listener.Protocol, listener.Port], ['HTTPS', 443]);
    assert.deepEqual(listener.Certificates, [{ CertificateArn: { Ref: 'CertificateArn' } }]);
    const [fallback] = list(listener.DefaultActions, 'DefaultActions').map((a) => obj(a, 'action'));
    assert.equal(obj(fallback?.FixedResponseConfig, 'FixedResponseConfig').StatusCode, '404');
    const rule = props(cpu, 'WebhookListenerRule');
    assert.deepEqual(rule.ListenerArn, { Ref: 'WebhookListener' });
    assert.deepEqual(rule.Conditions, [
      { Field: 'path-pattern', PathPatternConfig: { Values: [{ Ref: 'WebhookPath' }] } },
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['POST'] } },
    ]);
    assert.deepEqual(rule.Actions, [{ Type: 'forward', TargetGroupArn: { Ref: 'WebhookTargetGroup' } }]);
    const bot = container(cpu, 'bot');
    const env = environment(bot);
    const group = props(cpu, 'WebhookTargetGroup');
    assert.equal(group.TargetType, 'ip');
    assert.equal(String(group.Port), env.get('WEBHOOK_PORT'));
    assert.equal(group.HealthCheckPort, env.get('OPS_PORT'));
    assert.equal(group.HealthCheckPath, '/healthz');
    assert.deepEqual(list(props(cpu, 'BotService').LoadBalancers, 'LoadBalancers'), [
      {
        ContainerName: 'bot',
        ContainerPort: Number(env.get('WEBHOOK_PORT')),
        TargetGroupArn: { Ref: 'WebhookTargetGroup' },
      },
    ]);
    const ports = list(bot.PortMappings, 'PortMappings').map((m) => String(obj(m, 'mapping').ContainerPort));
    assert.deepEqual(ports.sort(), [env.get('OPS_PORT'), env.get('WEBHOOK_PORT')].sort());
    const resource = obj(obj(template.Resources, 'Resources').BotService, 'BotService');
    assert.ok(list(resource.DependsOn, 'DependsOn').includes('WebhookListenerRule'));
  });

  it('only Telegram reaches the load balancer, and only the load balancer reaches the bot', () => {
    const rules = (name: string) =>
      list(props(cpu, name).SecurityGroupIngress, `${name} ingress`).map((r) => obj(r, 'rule'));
    assert.deepEqual(
      rules('WebhookLoadBalancerSecurityGroup').map((r) => [r.FromPort, r.ToPort, r.CidrIp]),
      [
        [443, 443, '149.154.160.0/20'],
        [443, 443, '91.108.4.0/22'],
      ],
    );
    const env = environment(container(cpu, 'bot'));
    const botRules = rules('BotSecurityGroup');
    for (const rule of botRules) {
      assert.deepEqual(rule.SourceSecurityGroupId, { Ref: 'WebhookLoadBalancerSecurityGroup' });
      assert.equal(rule.FromPort, rule.ToPort);
    }
    assert.deepEqual(
      botRules.map((r) => String(r.FromPort)),
      [env.get('WEBHOOK_PORT'), env.get('OPS_PORT')],
    );
    const groups = (service: string) =>
      obj(obj(props(cpu, service).NetworkConfiguration, 'n').AwsvpcConfiguration, 'a').SecurityGroups;
    assert.deepEqual(groups('BotService'), [{ Ref: 'AppSecurityGroup' }, { Ref: 'BotSecurityGroup' }]);
    assert.deepEqual(groups('WorkerService'), [{ Ref: 'AppSecurityGroup' }]);
  });

  it('the bot token and the webhook secret come from Secrets Manager, never as plain variables', () => {
    const token = { Name: 'BOT_TOKEN', ValueFrom: { Ref: 'BotTokenSecretArn' } };
    assert.deepEqual(container(cpu, 'bot').Secrets, [
      token,
      { Name: 'WEBHOOK_SECRET', ValueFrom: { Ref: 'WebhookSecretArn' } },
    ]);
    assert.deepEqual(container(cpu, 'worker').Secrets, [token]);
    for (const c of containers(template)) {
      for (const name of ['BOT_TOKEN', 'WEBHOOK_SECRET']) {
        assert.ok(!environment(c).has(name), `${String(c.Name)} has no ${name} in Environment`);
      }
    }
    const policies = JSON.stringify(list(props(template, 'TaskExecutionRole').Policies, 'Policies'));
    assert.match(
      policies,
      /"Action":"secretsmanager:GetSecretValue","Resource":\[\{"Ref":"BotTokenSecretArn"\},\{"Ref":"WebhookSecretArn"\}\]/,
    );
  });

  it("every setting the tasks set is one of src/config/schema.ts, and each task's settings pass it together", () => {
    const settings = new Set(Object.keys(configSchema.shape));
    // What ECS would put in the environment: sample values for the parameters, Redis' address and the secrets.
    const samples: Record<string, string> = {
      QueuePrefix: 'dog-breeds',
      Model: 'mobilenetv2-imagenet',
      WorkerConcurrency: '8',
      WebhookDomain: 'bot.example.com',
      WebhookPath: '/telegram',
      'Redis.PrimaryEndPoint.Address': 'redis.example.internal',
      'Redis.PrimaryEndPoint.Port': '6379',
    };
    const sample = (value: unknown): string => {
      if (typeof value === 'string') return value;
      const node = obj(value, 'value');
      if (typeof node.Ref === 'string') return samples[node.Ref] ?? assert.fail(`no sample for ${node.Ref}`);
      return str(node['Fn::Sub'], 'Fn::Sub').replace(/\$\{([^}]+)\}/g, (_m, name: string) => samples[name] ?? '?');
    };
    const secrets: Record<string, string> = { BOT_TOKEN: `123456:${'A'.repeat(35)}`, WEBHOOK_SECRET: 'S'.repeat(32) };
    for (const [kind, resolved] of Object.entries({ cpu, gpu })) {
      for (const c of containers(resolved)) {
        const env = Object.fromEntries([...environment(c)].map(([name, value]) => [name, sample(value)]));
        for (const secret of list(c.Secrets, 'Secrets')) {
          const name = str(obj(secret, 'secret').Name, 'Name');
          env[name] = secrets[name] ?? assert.fail(`no sample for the secret ${name}`);
        }
        const unknown = Object.keys(env).filter((name) => !settings.has(name));
        assert.deepEqual(unknown, [], `${kind} ${String(c.Name)}: settings the schema does not have`);
        const parsed = configSchema.safeParse(env);
        assert.ok(parsed.success, `${kind} ${String(c.Name)}: ${JSON.stringify(parsed.error?.issues)}`);
        assert.equal(
          (parsed.data as Record<string, unknown>).DEVICE,
          c.Name === 'bot' ? 'auto' : kind === 'gpu' ? 'cuda' : 'cpu',
        );
      }
    }
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

  it('the webhook secret: the template and the README give the lengths the bot accepts, and the README makes one', async () => {
    // The lengths WEBHOOK_SECRET accepts, asked of the schema itself (Telegram allows 1-256; the bot wants more).
    const secret = configSchema.shape.WEBHOOK_SECRET;
    const accepted = Array.from({ length: 300 }, (_, i) => i + 1).filter(
      (n) => secret.safeParse('a'.repeat(n)).success,
    );
    const range = `${accepted[0]}-${accepted.at(-1)} characters`;
    assert.equal(accepted.length, (accepted.at(-1) ?? 0) - (accepted[0] ?? 0) + 1, 'one range of lengths');
    const parameter = obj(obj(template.Parameters, 'Parameters').WebhookSecretArn, 'WebhookSecretArn');
    assert.match(str(parameter.Description, 'Description'), new RegExp(`\\b${range} of A-Z, a-z, 0-9, _ and -`));
    const readme = await readFile(path.join(ROOT, 'deploy/aws/README.md'), 'utf8');
    assert.match(readme, new RegExp(`webhook's secret token: ${range} of A-Z a-z 0-9 _ -`));
    // The README's own secret: 32 random bytes in hex, 64 characters.
    assert.match(readme, /--secret-string "\$\(openssl rand -hex 32\)"/);
    assert.ok(secret.safeParse('0123456789abcdef'.repeat(4)).success);
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
  return { chatId: 1, messageId, fileId: 'f', fileUniqueId: 'u', userId: 3 };
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
