/**
 * The code's shape, as ARCHITECTURE.md states it: which folder of src/ may import which (its `imports` block), that
 * a folder is entered only through its index.ts, and that no file or function outgrows the limits but for the
 * exceptions its `size-exceptions` block names. The document is the rule; this test fails when the code leaves it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { ROOT } from './support/paths.ts';

const SRC = path.join(ROOT, 'src');
const MAX_FILE_LINES = 500;
const MAX_FUNCTION_LINES = 80;

const architecture = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');

/** The lines of the fenced block of ARCHITECTURE.md whose info string is `name`. */
function block(name: string): string[] {
  const match = new RegExp(`\`\`\`${name}\\n([\\s\\S]*?)\`\`\``).exec(architecture);
  assert.ok(match, `ARCHITECTURE.md has a \`\`\`${name} block`);
  return (match[1] ?? '')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

/** `folder: a, b, c` lines → folder → the folders it may import. Root files are named as they are (`main.ts`). */
function allowedImports(): Map<string, Set<string>> {
  return new Map(
    block('imports').map((line) => {
      const [from = '', to = ''] = line.split(':');
      const targets = to
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '' && t !== '—');
      return [from.trim(), new Set(targets)];
    }),
  );
}

const sourceFiles = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.split(path.sep).join('/'));

/** `bot/handlers/x.ts` → `bot`; a file at the root of src/ is its own unit (`main.ts`). */
const unitOf = (file: string): string => (file.includes('/') ? (file.split('/')[0] as string) : file);

interface Import {
  file: string;
  target: string;
}

function relativeImports(): Import[] {
  const found: Import[] = [];
  for (const file of sourceFiles) {
    const text = readFileSync(path.join(SRC, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
    const add = (specifier: string) => {
      if (!specifier.startsWith('.')) return;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      found.push({ file, target });
    };
    const visit = (node: ts.Node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
        if (ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text);
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] !== undefined &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        add(node.arguments[0].text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('ARCHITECTURE.md: the import rules', () => {
  const allowed = allowedImports();
  const imports = relativeImports().filter(({ file, target }) => unitOf(file) !== unitOf(target));

  it('names every folder and root file of src/', () => {
    const units = new Set(sourceFiles.map(unitOf));
    assert.deepEqual([...units].filter((u) => !allowed.has(u)).sort(), [], 'units without a rule');
    assert.deepEqual([...allowed.keys()].filter((u) => !units.has(u)).sort(), [], 'rules for units that do not exist');
  });

  it('each folder imports only the folders its rule names', () => {
    const broken = imports
      .filter(({ file, target }) => !allowed.get(unitOf(file))?.has(unitOf(target)))
      .map(({ file, target }) => `${file} → ${target}`);
    assert.deepEqual(broken, []);
  });

  it('src/ imports neither test/ nor bench/, and bench/ does not import test/', () => {
    const wrongWay = [
      ...imports.filter(({ target }) => target.startsWith('../')).map(({ file, target }) => `src/${file} → ${target}`),
      ...readdirSync(path.join(ROOT, 'bench'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .filter((f) => /from '(\.\.\/)+test\//.test(readFileSync(path.join(ROOT, 'bench', f), 'utf8')))
        .map((f) => `bench/${f} → test/`),
    ];
    assert.deepEqual(wrongWay, []);
  });

  it('a folder is entered only through its index.ts', () => {
    const pastTheBarrel = imports
      .filter(({ target }) => target.includes('/') && target !== `${unitOf(target)}/index.ts`)
      .map(({ file, target }) => `${file} → ${target}`);
    assert.deepEqual(pastTheBarrel, []);
  });
});

describe('ARCHITECTURE.md: sizes', () => {
  const exceptions = new Set(block('size-exceptions').map((line) => line.split(' ')[0] as string));

  it(`no file in src/ over ${MAX_FILE_LINES} lines but the named exceptions`, () => {
    const long = sourceFiles
      .map((file) => ({ file, lines: readFileSync(path.join(SRC, file), 'utf8').split('\n').length }))
      .filter(({ file, lines }) => lines > MAX_FILE_LINES && !exceptions.has(file))
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    assert.deepEqual(long, []);
  });

  it(`no function in src/ over ${MAX_FUNCTION_LINES} lines but the named exceptions`, () => {
    const long: string[] = [];
    for (const file of sourceFiles) {
      const text = readFileSync(path.join(SRC, file), 'utf8');
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
          const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
          const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
          const name =
            node.name?.getText(source) ??
            (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(source) : '');
          const id = `${file}:${name || `line ${first + 1}`}`;
          if (last - first + 1 > MAX_FUNCTION_LINES && !exceptions.has(id))
            long.push(`${id}: ${last - first + 1} lines`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    assert.deepEqual(long, []);
  });
});
