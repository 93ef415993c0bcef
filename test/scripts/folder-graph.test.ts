// scripts/folder-graph.ts run as CI runs it, on this project and on small trees written for each case:
// it passes a tree whose edges all point down the layers and fails on a cycle, on an upward edge (a
// type-only one included) and on a folder no layer names.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(root, 'scripts/folder-graph.ts');
const temp = mkdtempSync(path.join(tmpdir(), 'folder-graph-'));
after(() => rmSync(temp, { recursive: true, force: true }));

let trees = 0;
/** Writes a src/ tree (path → contents) and returns its directory. */
function tree(files: Record<string, string>): string {
  const src = path.join(temp, `t${trees++}`, 'src');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(src, file)), { recursive: true });
    writeFileSync(path.join(src, file), text);
  }
  return src;
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('scripts/folder-graph.ts', () => {
  test("this project's src/ has no cycle and no edge against the layers", () => {
    const r = run();
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /cycles: 0/);
    assert.match(r.out, /edges not pointing down: 0/);
    assert.match(r.out, /^ {2}server -> .*\bsubscriptions\b/m);
  });

  test('a tree whose edges point down passes', () => {
    const src = tree({
      'domain/errors.ts': 'export const E = 1;\n',
      'store/db.ts': "import { E } from '../domain/errors.ts';\nexport const D = E;\n",
      'server/app.ts': "import { D } from '../store/db.ts';\nexport const A = D;\n",
      'app.ts': "import { A } from './server/app.ts';\nexport default A;\n",
    });
    const r = run('--src', src);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^ {2}app -> server$/m);
    assert.match(r.out, /folder graph: ok/);
  });

  test('an upward type-only import fails and names the file', () => {
    const src = tree({
      'domain/hub.ts': "import type { HubStore } from '../hub/store.ts';\nexport type H = HubStore;\n",
      'hub/store.ts': 'export class HubStore {}\n',
    });
    const r = run('--src', src);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /edges not pointing down: 1/);
    assert.match(r.out, /domain -> hub\n\s+domain\/hub\.ts -> hub\/store\.ts/);
  });

  test('an upward edge made by import() in a type fails', () => {
    const src = tree({
      'store/x.ts': "export type T = import('../flows/y.ts').Y;\n",
      'flows/y.ts': 'export type Y = string;\n',
    });
    const r = run('--src', src);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /store -> flows/);
  });

  test('a cycle between two folders of one layer fails', () => {
    const src = tree({
      'oauth/a.ts': "import { B } from '../webhooks/b.ts';\nexport const A = B;\n",
      'webhooks/b.ts': "export { C as B } from '../oauth/c.ts';\n",
      'oauth/c.ts': 'export const C = 1;\n',
    });
    const r = run('--src', src);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /cycles: 1\n\s+cycle: oauth, webhooks/);
  });

  test('a folder that no layer names fails', () => {
    const src = tree({
      'gadgets/g.ts': "import { E } from '../domain/errors.ts';\nexport const G = E;\n",
      'domain/errors.ts': 'export const E = 1;\n',
    });
    const r = run('--src', src);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /folders in no layer \(add them to LAYERS\): gadgets/);
  });
});
