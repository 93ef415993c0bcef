// Limits every stored input meets, whatever its route: how deep a JSON value may nest, and which
// characters a string may hold. Why: a value nested thousands deep makes JSON.stringify throw (a 500, and
// an import that stops), and PostgreSQL's text and jsonb cannot store NUL (U+0000) while SQLite can, so
// the same request would be a 500 on one store and accepted on the other. Lone UTF-16 surrogates are not
// characters at all (they cannot be written as UTF-8) and would be stored as U+FFFD by one driver and
// refused by another. Both are refused up front, the same way on both stores (docs/errors.md).
// The walk is iterative: checking a hostile value must not itself run out of stack.
import { AppError } from './errors.ts';

/** Levels of nesting a request body (or an NDJSON line) may have; real records use fewer than 10. */
export const MAX_INPUT_DEPTH = 64;
/** Levels a free-form value (an extension field's value, a dictionary) may have inside its record. */
export const MAX_FREE_FORM_DEPTH = 16;
/** Characters of JSON one free-form value may take. */
export const MAX_FREE_FORM_CHARS = 32 * 1024;

export interface InputProblem {
  code: 'INPUT_TOO_DEEP' | 'INPUT_CHARACTER_NOT_ALLOWED';
  message: string;
  /** Where, as the API names fields (`records[3].extension_fields[0].value`); undefined: the whole body. */
  field?: string;
}

type Segment = string | number;

/** `['records', 3, 'email']` → `records[3].email`; long paths keep their start and end with `…`. */
export function fieldName(path: readonly Segment[]): string | undefined {
  const shown = path.length > 8 ? path.slice(0, 8) : path;
  let out = '';
  for (const s of shown) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${printable(s)}` : printable(s);
  }
  if (path.length > shown.length) out += '…';
  return out || undefined;
}

/** A key as it can be shown in a message: bad characters written as escapes. */
function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f]|[\ud800-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Why `text` cannot be stored, or undefined when it can. */
export function badCharacter(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000), which cannot be stored';
  if (!text.isWellFormed())
    return 'contains an unpaired UTF-16 surrogate (not a valid Unicode character), which cannot be stored';
  return undefined;
}

/**
 * The first problem found in a parsed JSON value (a request body, an NDJSON line, query parameters), or
 * undefined. Keys are checked like values.
 */
export function findInputProblem(
  value: unknown,
  options: { maxDepth?: number; path?: Segment[] } = {},
): InputProblem | undefined {
  const maxDepth = options.maxDepth ?? MAX_INPUT_DEPTH;
  // Each entry points at its parent: the path is built only for the value at fault.
  type Item = { value: unknown; key: Segment | undefined; parent: Item | undefined; depth: number };
  const pathOf = (item: Item, extra?: Segment): Segment[] => {
    const out: Segment[] = extra === undefined ? [] : [extra];
    for (let at: Item | undefined = item; at; at = at.parent) if (at.key !== undefined) out.push(at.key);
    return [...(options.path ?? []), ...out.reverse()];
  };
  const stack: Item[] = [{ value, key: undefined, parent: undefined, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const v = item.value;
    if (typeof v === 'string') {
      const why = badCharacter(v);
      if (why) return problem('INPUT_CHARACTER_NOT_ALLOWED', pathOf(item), why);
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (item.depth >= maxDepth)
      return problem(
        'INPUT_TOO_DEEP',
        pathOf(item),
        `is nested more than ${maxDepth} levels deep (at most ${maxDepth} are allowed)`,
      );
    const depth = item.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: item, depth });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const why = badCharacter(key);
      if (why) return problem('INPUT_CHARACTER_NOT_ALLOWED', pathOf(item, key), `has a key that ${why}`);
      stack.push({ value: (v as Record<string, unknown>)[key], key, parent: item, depth });
    }
  }
  return undefined;
}

function problem(code: InputProblem['code'], path: Segment[], why: string): InputProblem {
  const field = fieldName(path);
  return { code, field, message: `${field ?? 'The request body'} ${why}.` };
}

/** Throws the problem as the API's 400, naming the field. */
export function assertStorableInput(value: unknown, options: { path?: Segment[] } = {}): void {
  const found = findInputProblem(value, options);
  if (found) throw new AppError(found.code, found.message, found.field ? { field: found.field } : {});
}

/**
 * For a free-form value inside a record: its depth and size, measured without recursion. Answers what
 * it must be ("must nest at most …") when over a limit, undefined when fine.
 */
export function freeFormProblem(value: unknown): string | undefined {
  let chars = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v === 'string') chars += v.length + 2;
    else if (typeof v !== 'object' || v === null) chars += String(v).length;
    else {
      if (depth >= MAX_FREE_FORM_DEPTH) return `must nest at most ${MAX_FREE_FORM_DEPTH} levels deep`;
      chars += 2;
      if (Array.isArray(v)) {
        chars += v.length;
        for (const x of v) stack.push({ value: x, depth: depth + 1 });
      } else
        for (const [k, x] of Object.entries(v)) {
          chars += k.length + 4;
          stack.push({ value: x, depth: depth + 1 });
        }
    }
    if (chars > MAX_FREE_FORM_CHARS)
      return `must be at most ${MAX_FREE_FORM_CHARS.toLocaleString('en-US')} characters of JSON`;
  }
  return undefined;
}
