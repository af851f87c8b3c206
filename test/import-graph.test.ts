/**
 * The layers, checked on the code itself: no import cycle (in the compiled modules, and in the
 * sources counting type-only imports), and each part imports only what docs/architecture.md allows.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Module (path relative to `base`) → what it imports: relative specifiers resolved, others as written. */
type Graph = Map<string, string[]>;

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

function graphOf(base: string, files: string[], toFile: (specifier: string) => string): Graph {
  const graph: Graph = new Map();
  for (const file of files) {
    // preProcessFile lists import/export declarations (type-only ones too), require() and import().
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    graph.set(
      relative(base, file),
      importedFiles.map(({ fileName }) => (fileName.startsWith('.') ? relative(base, toFile(resolve(dirname(file), fileName))) : fileName)),
    );
  }
  return graph;
}

/** Every cycle's path (one per strongly connected component), by depth-first search. */
function cycles(graph: Graph): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

const compiled = graphOf(join(root, 'dist'), filesUnder(join(root, 'dist', 'electron'), /\.js$/), (f) => f);
const sources = graphOf(root, filesUnder(join(root, 'electron'), /\.ts$/), (f) => f.replace(/\.js$/, '.ts'));

/** Where a module may import from, by the folder it is in. Node built-ins and npm packages aside. */
const ALLOWED: Array<[RegExp, RegExp]> = [
  [/^electron\/core\/shared\//, /^electron\/core\/shared\//],
  // Storage holds the generic pieces; the accounts room is below tokens, the agent and the integrations.
  [/^electron\/core\/storage\//, /^electron\/core\/(storage|shared)\//],
  [/^electron\/core\/accounts\//, /^electron\/core\/(accounts|storage|shared|oauth|google)\//],
  [/^electron\/core\//, /^electron\/core\//],
  [/^electron\/app\//, /^electron\/(app|core)\//],
  [/^electron\/cli\//, /^electron\/(cli|core)\//],
  [/^electron\/main\//, /^electron\/(main|app|core)\//],
  [/^electron\/preload\//, /^electron\/app\/(ipc-contract|ipc-arguments)\.ts$|^electron\/core\/shared\/models\.ts$/],
];

describe('import graph', () => {
  it('reads the whole tree', () => {
    assert.ok(compiled.size > 50, `compiled modules: ${compiled.size}`);
    assert.ok(sources.has('electron/core/core.ts') && sources.has('electron/preload/preload.ts'));
    // The test can fail: a made-up cycle is found.
    assert.deepEqual(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
      [['a', 'b', 'c', 'a']],
    );
  });

  it('has no cycle among the compiled modules (static and dynamic imports)', () => {
    assert.deepEqual(
      cycles(compiled).map((c) => c.join(' → ')),
      [],
    );
  });

  it('has no cycle among the sources, type-only imports included', () => {
    assert.deepEqual(
      cycles(sources).map((c) => c.join(' → ')),
      [],
    );
  });

  it('keeps electron/core and electron/app free of the electron module, and the CLI too', () => {
    const offenders = [...sources].filter(([file, imports]) => /^electron\/(core|app|cli)\//.test(file) && imports.includes('electron')).map(([file]) => file);
    assert.deepEqual(offenders, []);
  });

  it('keeps openid-client behind its adapter (oauth/oidc.ts), sources and compiled modules alike', () => {
    const outside = (graph: Graph, adapter: string) =>
      [...graph].filter(([file, imports]) => file !== adapter && imports.includes('openid-client')).map(([file]) => file);
    assert.deepEqual(outside(sources, 'electron/core/oauth/oidc.ts'), []);
    assert.deepEqual(outside(compiled, 'electron/core/oauth/oidc.js'), []);
    assert.ok(sources.get('electron/core/oauth/oidc.ts')?.includes('openid-client'), 'the check sees the adapter import it');
    // Nor does the adapter hand the library itself out.
    assert.doesNotMatch(readFileSync(join(root, 'electron/core/oauth/oidc.ts'), 'utf8'), /export\s*\{[^}]*\boidc\b|export\s+\*\s+from\s+'openid-client'/);
  });

  it('lets each part import only the parts below it', () => {
    const wrong: string[] = [];
    for (const [file, imports] of sources) {
      const rule = ALLOWED.find(([from]) => from.test(file));
      assert.ok(rule, `a rule for ${file}`);
      for (const target of imports) if (target.startsWith('electron/') && !rule[1].test(target)) wrong.push(`${file} → ${target}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('the renderer takes only types from the IPC contract, and code only from Node-free core/shared modules', () => {
    /** A core/shared module whose imports, transitively, are other core/shared modules only (no Node, no packages). */
    const pureShared = (module: string, seen = new Set<string>()): boolean => {
      if (!/^electron\/core\/shared\/[^/]+\.ts$/.test(module) || !sources.has(module)) return false;
      if (seen.has(module)) return true;
      seen.add(module);
      return sources.get(module)!.every((target) => pureShared(target, seen));
    };
    const wrong: string[] = [];
    for (const file of filesUnder(join(root, 'renderer', 'src'), /\.ts$/)) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
      for (const statement of source.statements) {
        if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
        const specifier = (statement.moduleSpecifier as ts.StringLiteral | undefined)?.text ?? '';
        if (!specifier.includes('electron/')) continue;
        const target = relative(root, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts');
        const typeOnly = ts.isImportDeclaration(statement) ? statement.importClause?.isTypeOnly === true : statement.isTypeOnly;
        const allowed = typeOnly ? target === 'electron/app/ipc-contract.ts' || target === 'electron/core/shared/models.ts' : pureShared(target);
        if (!allowed) wrong.push(`${relative(root, file)} → ${specifier}${typeOnly ? ' (types)' : ''}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
