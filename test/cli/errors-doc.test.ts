import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/domain/errors.ts';

const docPath = new URL('../../docs/errors.md', import.meta.url);

test('docs/errors.md describes every error code with its HTTP status, and no code that does not exist', async () => {
  const text = await readFile(docPath, 'utf8');
  const documented = new Map<string, number>();
  for (const match of text.matchAll(/^### `([A-Z0-9_]+)` \(HTTP (\d{3})\)$/gm)) {
    assert.equal(documented.has(match[1]), false, `${match[1]} is documented twice`);
    documented.set(match[1], Number(match[2]));
  }
  const missing = Object.keys(ERROR_CODES).filter((code) => !documented.has(code));
  assert.deepEqual(missing, [], `add these codes to docs/errors.md: ${missing.join(', ')}`);
  for (const [code, status] of documented) {
    assert.ok(
      code in ERROR_CODES,
      `docs/errors.md documents ${code}, which src/domain/errors.ts does not have`,
    );
    assert.equal(status, ERROR_CODES[code as keyof typeof ERROR_CODES], `HTTP status of ${code}`);
  }
});

test('each code in docs/errors.md says what to do, not just what happened', async () => {
  const text = await readFile(docPath, 'utf8');
  const sections = text.split(/^### /m).slice(1);
  for (const section of sections) {
    const [heading, ...body] = section.split('\n');
    const words = body.join(' ').split(/\s+/).filter(Boolean);
    assert.ok(words.length >= 15, `${heading} needs a fuller description`);
  }
});
