// The plain explanation of each error code, for the transfer log's failure groups. The words live in one
// place, docs/errors.md (one "### `CODE` (HTTP n)" section per code of src/domain/errors.ts), and are read
// from it once, so the console and the documentation never say different things.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/errors.md');

let cache: Map<string, string> | undefined;

/** Markdown to plain text, enough for the doc's paragraphs: code spans, emphasis and links. */
function plain(markdown: string): string {
  return markdown
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Code → its explanation's first paragraph. A missing doc gives an empty map (the codes still show). */
export function parseErrorDoc(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const sections = text.split(/^### /m).slice(1);
  for (const section of sections) {
    const head = /^`([A-Z0-9_]+)`/.exec(section);
    if (!head) continue;
    const body = section.slice(section.indexOf('\n') + 1).trim();
    const paragraph = body.split(/\n\s*\n/)[0] ?? '';
    if (paragraph && !paragraph.startsWith('#')) out.set(head[1], plain(paragraph));
  }
  return out;
}

export function errorExplanation(code: string | null | undefined): string | null {
  if (!code) return null;
  if (!cache) {
    try {
      cache = parseErrorDoc(readFileSync(DOC, 'utf8'));
    } catch {
      cache = new Map();
    }
  }
  return cache.get(code) ?? null;
}
