// Field paths, read without the formula engine so that plain mappings stay fast and synchronous.
// A source path is a JSONata-like path: names joined by dots, each optionally followed by selectors —
// `[2]` (an index, negative counts from the end) or `[field=value]` (the first item whose field equals
// the literal: true, false, null, a number or a quoted string; `==` and `!=` are accepted too).
// Names may contain spaces (`properties.Last Active`). A name applied to a list reads it from every item.

export type PathReader = (record: unknown) => unknown;

type Selector =
  | { kind: 'index'; index: number }
  | { kind: 'match'; field: string[]; negate: boolean; value: unknown };

interface Step {
  name: string;
  selectors: Selector[];
}

export class PathSyntaxError extends Error {
  readonly column: number;
  constructor(message: string, column: number) {
    super(message);
    this.name = 'PathSyntaxError';
    this.column = column;
  }
}

/** Names no path may read or write: they reach the object model, not the record. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'prototype', 'constructor']);

const MATCH = /^\s*([A-Za-z_$][\w$ ]*(?:\.[A-Za-z_$][\w$ ]*)*)\s*(==|!=|=)\s*(.+?)\s*$/;
// In a formula predicate a space separates operators (`a and b = true`), so names there have none.
const STRICT_MATCH = /^\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*(==|!=|=)\s*(.+?)\s*$/;

function parseLiteral(text: string, column: number): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const quoted = /^"([^"]*)"$|^'([^']*)'$/.exec(text);
  if (quoted) return quoted[1] ?? quoted[2];
  throw new PathSyntaxError(
    `'${text}' is not a literal (use true, false, null, a number or a quoted string)`,
    column,
  );
}

function checkName(name: string, column: number): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new PathSyntaxError('empty name in path', column);
  if (FORBIDDEN_KEYS.has(trimmed)) throw new PathSyntaxError(`'${trimmed}' cannot be used in a path`, column);
  return trimmed;
}

/** Parses a source path into steps; throws PathSyntaxError with a 1-based column. */
export function parseSourcePath(path: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < path.length) {
    const start = i;
    while (i < path.length && path[i] !== '.' && path[i] !== '[') {
      if (path[i] === ']') throw new PathSyntaxError("unexpected ']'", i + 1);
      i++;
    }
    const step: Step = { name: checkName(path.slice(start, i), start + 1), selectors: [] };
    while (path[i] === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) throw new PathSyntaxError("missing ']'", i + 1);
      const inner = path.slice(i + 1, close).trim();
      if (/^-?\d+$/.test(inner)) {
        step.selectors.push({ kind: 'index', index: Number(inner) });
      } else {
        const m = MATCH.exec(inner);
        if (!m) throw new PathSyntaxError(`'[${inner}]' is neither an index nor a field=value test`, i + 1);
        const field = m[1].split('.').map((n) => checkName(n, i + 2));
        step.selectors.push({
          kind: 'match',
          field,
          negate: m[2] === '!=',
          value: parseLiteral(m[3], i + 2),
        });
      }
      i = close + 1;
    }
    steps.push(step);
    if (i < path.length) {
      if (path[i] !== '.') throw new PathSyntaxError(`unexpected '${path[i]}'`, i + 1);
      i++;
      if (i === path.length) throw new PathSyntaxError('path ends with a dot', i);
    }
  }
  if (steps.length === 0) throw new PathSyntaxError('empty path', 1);
  return steps;
}

function own(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function readPlain(value: unknown, names: string[]): unknown {
  let current = value;
  for (const name of names) current = own(current, name);
  return current;
}

function applySelector(value: unknown, selector: Selector): unknown {
  if (!Array.isArray(value)) {
    if (selector.kind === 'index') return selector.index === 0 || selector.index === -1 ? value : undefined;
    return matches(value, selector) ? value : undefined;
  }
  if (selector.kind === 'index') return value.at(selector.index);
  return value.find((item) => matches(item, selector));
}

function matches(item: unknown, selector: Extract<Selector, { kind: 'match' }>): boolean {
  const v = readPlain(item, selector.field);
  const equal = v === selector.value || (v === undefined && selector.value === null);
  return selector.negate ? !equal : equal;
}

function readStep(value: unknown, step: Step): unknown {
  let result: unknown;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const v = own(item, step.name);
      if (v === undefined) continue;
      if (Array.isArray(v)) out.push(...v);
      else out.push(v);
    }
    result = out.length === 0 ? undefined : out;
  } else {
    result = own(value, step.name);
  }
  for (const selector of step.selectors) result = applySelector(result, selector);
  return result;
}

/**
 * Compiles a simple test such as `is_primary_billing = true` or `type == 'billing'` into a function, or
 * returns undefined when the text is anything more complex (the caller then uses the formula engine).
 */
export function compileMatchTest(text: string): ((item: unknown) => boolean) | undefined {
  const m = STRICT_MATCH.exec(text);
  if (!m) return undefined;
  let value: unknown;
  let field: string[];
  try {
    value = parseLiteral(m[3], 1);
    field = m[1].split('.').map((n) => checkName(n, 1));
  } catch {
    return undefined;
  }
  const selector = { kind: 'match' as const, field, negate: m[2] === '!=', value };
  return (item) => matches(item, selector);
}

/** Compiles a source path into a reader. Missing parts read as undefined, never throw. */
export function compileSourcePath(path: string): PathReader {
  const steps = parseSourcePath(path);
  if (steps.every((s) => s.selectors.length === 0)) {
    const names = steps.map((s) => s.name);
    if (names.length === 1) {
      const [name] = names;
      return (record) => (Array.isArray(record) ? readStep(record, steps[0]) : own(record, name));
    }
  }
  return (record) => {
    let current = record;
    for (const step of steps) {
      if (current === undefined || current === null) return undefined;
      current = readStep(current, step);
    }
    return current;
  };
}

/** Splits a destination path (`location.city`, `properties.Order Qty`) into its names. */
export function parseDestinationPath(path: string): string[] {
  const names = path.split('.').map((n) => n.trim());
  names.forEach((n, index) => {
    if (n === '') throw new PathSyntaxError('empty name in destination', index + 1);
    if (FORBIDDEN_KEYS.has(n)) throw new PathSyntaxError(`'${n}' cannot be a destination`, index + 1);
  });
  return names;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Copies an object's own safe keys onto the target (a formula result may carry any key name). */
function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(source)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    const value = source[key];
    if (value !== undefined) target[key] = value;
  }
}

/**
 * Writes a value at a destination. An object written onto an object merges into it, so a formula can
 * fill `properties` while another mapping adds `properties.Order Qty`, in either order.
 */
export function writePath(target: Record<string, unknown>, names: readonly string[], value: unknown): void {
  let current = target;
  for (let i = 0; i < names.length - 1; i++) {
    const name = names[i];
    let next = current[name];
    if (!isPlainObject(next)) {
      next = {};
      current[name] = next;
    }
    current = next as Record<string, unknown>;
  }
  const last = names[names.length - 1];
  const existing = current[last];
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = isPlainObject(existing) ? existing : {};
    mergeInto(copy, value);
    current[last] = copy;
  } else {
    current[last] = value;
  }
}
