// The phone numbers in the documentation's examples must survive the mapping: a reader who copies an
// example and sees its phone left out ("not a valid phone number") is misled about the product.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isValidPhoneNumber } from 'libphonenumber-js/max';

const root = path.resolve(import.meta.dirname, '../..');
const documents = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f)),
];

test('every E.164 phone number in README.md and docs/ examples is a valid number', () => {
  const invalid: string[] = [];
  let seen = 0;
  for (const document of documents) {
    const text = readFileSync(path.join(root, document), 'utf8');
    for (const [number] of text.matchAll(/(?<![\w+])\+[1-9]\d{7,14}(?!\d)/g)) {
      seen++;
      if (!isValidPhoneNumber(number)) invalid.push(`${document}: ${number}`);
    }
  }
  assert.ok(seen > 0, 'the documentation shows phone numbers');
  assert.deepEqual(invalid, []);
});
