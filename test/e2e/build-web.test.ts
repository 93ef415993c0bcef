// scripts/build-web.ts builds the console when it is missing or its sources changed, and only then.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ensureWebBuilt, isWebBuildCurrent, type WebBuildPaths } from '../../scripts/build-web.ts';

let dir: string;
let paths: WebBuildPaths;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'build-web-'));
  paths = { sourceDir: path.join(dir, 'web'), outDir: path.join(dir, 'dist/web') };
  mkdirSync(paths.sourceDir, { recursive: true });
  writeFileSync(
    path.join(paths.sourceDir, 'index.html'),
    '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>',
  );
  writeFileSync(path.join(paths.sourceDir, 'main.js'), 'document.body.append("one");\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('builds when missing, skips when current, rebuilds when a source changes or the output is gone', async () => {
  assert.equal(isWebBuildCurrent(paths), false);
  assert.deepEqual(await ensureWebBuilt({ paths }), { built: true });
  assert.ok(existsSync(path.join(paths.outDir, 'index.html')));
  const assets = readdirSync(path.join(paths.outDir, 'assets'));
  assert.ok(assets.some((f) => f.endsWith('.js')));
  assert.equal(isWebBuildCurrent(paths), true);
  assert.deepEqual(await ensureWebBuilt({ paths }), { built: false });

  writeFileSync(path.join(paths.sourceDir, 'main.js'), 'document.body.append("two");\n');
  assert.equal(isWebBuildCurrent(paths), false);
  assert.deepEqual(await ensureWebBuilt({ paths }), { built: true });

  rmSync(path.join(paths.outDir, 'index.html'));
  assert.deepEqual(await ensureWebBuilt({ paths }), { built: true });
  assert.deepEqual(await ensureWebBuilt({ paths, force: true }), { built: true });
});

test('two builds asked at once make one build', async () => {
  writeFileSync(path.join(paths.sourceDir, 'main.js'), 'document.body.append("three");\n');
  const results = await Promise.all([ensureWebBuilt({ paths }), ensureWebBuilt({ paths })]);
  assert.deepEqual(results.map((r) => r.built).sort(), [false, true]);
});
