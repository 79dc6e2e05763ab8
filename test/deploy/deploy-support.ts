/**
 * Reading the deployment files for test/deploy: the Dockerfile's stages and instructions, docker-compose.yml with its
 * merge keys, and the CloudFormation template with its short-form tags, its references checked and its conditions
 * decided for given parameter values (`resolveTemplate`), as CloudFormation would deploy it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../support/paths.ts';

export const TEMPLATE_FILE = path.join(ROOT, 'deploy/aws/dog-breeds.yaml');

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
export function obj(value: unknown, what: string): Json {
  assert.ok(isObject(value), `${what} should be a mapping, got ${JSON.stringify(value)}`);
  return value;
}
export function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} should be a list, got ${JSON.stringify(value)}`);
  return value;
}
export function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what} should be a string, got ${JSON.stringify(value)}`);
  return value as string;
}

// --- Dockerfile -------------------------------------------------------------------------------------------------------

export interface Instruction {
  keyword: string;
  args: string;
}
export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Logical instructions (comments dropped, `\` continuations joined), build args before the first FROM, and stages. */
export function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
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

export function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** The exec-form command of a HEALTHCHECK's arguments (`--interval=… CMD ["node", "-e", "…"]`). */
export function healthcheckCommand(args: string): string[] {
  const match = /\bCMD\s+(\[.*\])\s*$/.exec(args);
  assert.ok(match?.[1], `HEALTHCHECK should use the exec form: ${args}`);
  return JSON.parse(match[1]) as string[];
}

// --- docker-compose.yml ------------------------------------------------------------------------------------------------

export async function loadCompose(): Promise<Json> {
  // merge: resolves the `<<: *app` merge keys as Compose does.
  return obj(parse(await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }), 'compose');
}
export function service(compose: Json, name: string): Json {
  return obj(obj(compose.services, 'services')[name], `service ${name}`);
}

// --- CloudFormation -----------------------------------------------------------------------------------------------------

/** CloudFormation's short forms (`!Ref X`, `!Sub '…'`, `!If [c, a, b]`, …) as their long JSON forms. */
export const INTRINSICS: Record<string, string> = {
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
export const CFN_TAGS = Object.entries(INTRINSICS).flatMap(([short, long]) => [
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

export function parseTemplate(text: string): Json {
  return obj(parse(text, { customTags: CFN_TAGS }), 'template');
}
export async function loadTemplate(): Promise<Json> {
  return parseTemplate(await readFile(TEMPLATE_FILE, 'utf8'));
}

export const PSEUDO_PARAMETERS = new Set([
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
export function referenceProblems(template: Json): string[] {
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

export function resourcesOfType(template: Json, type: string): [string, Json][] {
  return Object.entries(obj(template.Resources, 'Resources'))
    .map(([name, resource]): [string, Json] => [name, obj(resource, name)])
    .filter(([, resource]) => resource.Type === type);
}
export function props(template: Json, name: string): Json {
  const resource = obj(obj(template.Resources, 'Resources')[name], `resource ${name}`);
  return obj(resource.Properties, `${name}.Properties`);
}
export function containers(template: Json): Json[] {
  return resourcesOfType(template, 'AWS::ECS::TaskDefinition').flatMap(([name, resource]) =>
    list(obj(resource.Properties, name).ContainerDefinitions, `${name}.ContainerDefinitions`).map((c) =>
      obj(c, `${name} container`),
    ),
  );
}
export function container(template: Json, name: string): Json {
  const found = containers(template).find((c) => c.Name === name);
  assert.ok(found, `a container named ${name}`);
  return found;
}
/** A container's Environment as a map; a conditional entry (`!If [cond, {Name, Value}, !Ref AWS::NoValue]`) counts. */
export function environment(c: Json): Map<string, unknown> {
  const entries = list(c.Environment, 'Environment')
    .map((e) => obj(e, 'Environment entry'))
    .map((e) => (e['Fn::If'] === undefined ? e : obj(list(e['Fn::If'], 'Fn::If')[1], 'Fn::If entry')))
    .map((e): [string, unknown] => [str(e.Name, 'Name'), e.Value]);
  return new Map(entries);
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The template as CloudFormation deploys it with these parameter values (the others at their defaults): conditions
 * decided, each `Fn::If` replaced by its chosen branch, `Fn::FindInMap` looked up, `AWS::NoValue` removed, and the
 * resources and outputs whose condition is false dropped.
 */
export function resolveTemplate(template: Json, values: Record<string, string> = {}): Json {
  const parameters = obj(template.Parameters ?? {}, 'Parameters');
  const parameter = (name: string): string => {
    const value = values[name] ?? obj(parameters[name], `parameter ${name}`).Default;
    assert.ok(value !== undefined, `parameter ${name} has a value or a default`);
    return String(value);
  };
  const scalar = (node: unknown): string => {
    if (typeof node === 'string') return node;
    if (isObject(node) && typeof node.Ref === 'string') return parameter(node.Ref);
    throw new Error(`not a string or a parameter: ${JSON.stringify(node)}`);
  };
  const conditions = new Map<string, boolean>();
  const decide = (node: unknown): boolean => {
    const condition = obj(node, 'condition');
    if ('Fn::Equals' in condition) {
      const [a, b] = list(condition['Fn::Equals'], 'Fn::Equals').map(scalar);
      return a === b;
    }
    if ('Fn::Not' in condition) return !decide(list(condition['Fn::Not'], 'Fn::Not')[0]);
    if ('Fn::And' in condition) return list(condition['Fn::And'], 'Fn::And').every(decide);
    if ('Fn::Or' in condition) return list(condition['Fn::Or'], 'Fn::Or').some(decide);
    if (typeof condition.Condition === 'string') return isTrue(condition.Condition);
    throw new Error(`unknown condition ${JSON.stringify(condition)}`);
  };
  const declared = obj(template.Conditions ?? {}, 'Conditions');
  const isTrue = (name: string): boolean => {
    if (!conditions.has(name)) conditions.set(name, decide(declared[name]));
    return conditions.get(name) === true;
  };
  const mappings = obj(template.Mappings ?? {}, 'Mappings');
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve).filter((item) => item !== NO_VALUE);
    if (!isObject(node)) return node;
    if (node.Ref === 'AWS::NoValue') return NO_VALUE;
    if ('Fn::If' in node) {
      const [name, yes, no] = list(node['Fn::If'], 'Fn::If');
      return resolve(isTrue(str(name, 'Fn::If condition')) ? yes : no);
    }
    if ('Fn::FindInMap' in node) {
      const [map, key, attribute] = list(node['Fn::FindInMap'], 'Fn::FindInMap').map((part) => scalar(resolve(part)));
      return obj(obj(mappings[map ?? ''], `mapping ${map}`)[key ?? ''], `${map}.${key}`)[attribute ?? ''];
    }
    const entries = Object.entries(node)
      .map(([key, value]): [string, unknown] => [key, resolve(value)])
      .filter(([, value]) => value !== NO_VALUE);
    return Object.fromEntries(entries);
  };
  const kept = (section: unknown) =>
    Object.fromEntries(
      Object.entries(obj(section ?? {}, 'section'))
        .filter(([, item]) => {
          const condition = obj(item, 'item').Condition;
          return condition === undefined || isTrue(str(condition, 'Condition'));
        })
        .map(([name, item]) => [name, resolve(item)]),
    );
  return { ...template, Resources: kept(template.Resources), Outputs: kept(template.Outputs) };
}
