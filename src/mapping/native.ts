// A fast lane for the most common formulas: a helper call (or a bare path) whose arguments are literals
// and simple paths, such as `$e164(addresses[is_primary_billing = true][0].phone_number, "US")`. Such a
// formula is evaluated here, synchronously, with the same helpers and the same result JSONata gives.
// Wherever the data would make JSONata's semantics differ from a plain read (a path stepping through a
// list, a list as an argument or result), the evaluator answers FALLBACK and the caller asks JSONata.
import jsonata from 'jsonata';
import { e164Helper, type FormulaState } from './formula.ts';
import {
  addDays,
  coalesce,
  countryCode,
  customField,
  formatDate,
  isEmpty,
  toIso,
  toUnix,
  truncate,
} from './helpers.ts';
import { FORBIDDEN_KEYS } from './paths.ts';

export const FALLBACK: unique symbol = Symbol('fallback to JSONata');
export type NativeFormula = (record: unknown, state: FormulaState) => unknown;
type Eval = (record: unknown, state: FormulaState) => unknown;

interface Node {
  type: string;
  value?: unknown;
  steps?: Node[];
  stages?: Node[];
  expr?: Node;
  lhs?: Node;
  rhs?: Node;
  procedure?: Node;
  arguments?: Node[];
  predicate?: Node[];
  group?: unknown;
  focus?: unknown;
  index?: unknown;
  tuple?: unknown;
  keepArray?: boolean;
}

const HELPERS: Record<string, (state: FormulaState, record: unknown, args: unknown[]) => unknown> = {
  isEmpty: (_s, _r, [v]) => isEmpty(v),
  coalesce: (_s, _r, args) => coalesce(...args),
  truncate: (_s, _r, [v, n]) => truncate(v, n),
  customField: (_s, record, [name, from]) => customField(from === undefined ? record : from, name),
  countryCode: (_s, _r, [v]) => countryCode(v),
  e164: (state, _r, [phone, country]) => e164Helper(state, phone, country),
  toIso: (_s, _r, [v]) => toIso(v),
  toUnix: (_s, _r, [v]) => toUnix(v),
  addDays: (_s, _r, [v, n]) => addDays(v, n),
  formatDate: (_s, _r, [v, p, z]) => formatDate(v, p, z),
};

const VARIABLES = new Set(['parent', 'subscription']);

class NotNative extends Error {}

function isPlainNode(node: Node): boolean {
  return (
    node.group === undefined &&
    node.focus === undefined &&
    node.index === undefined &&
    !node.tuple &&
    !node.keepArray
  );
}

function literal(node: Node): { value: unknown } | undefined {
  if (!isPlainNode(node)) return undefined;
  if (node.type === 'string' || node.type === 'number' || node.type === 'value') return { value: node.value };
  return undefined;
}

function own(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

type Stage = (value: unknown) => unknown;

/** `[n]` or `[name = literal][0]` (the first match); anything else is not native. */
function compileStages(stages: Node[] = []): Stage[] {
  const out: Stage[] = [];
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i];
    if (stage.type !== 'filter' || !stage.expr) throw new NotNative();
    const index =
      stage.expr.type === 'number' && isPlainNode(stage.expr) ? (stage.expr.value as number) : undefined;
    if (index !== undefined) {
      if (!Number.isInteger(index)) throw new NotNative();
      out.push((v) => {
        if (Array.isArray(v)) return v.at(index);
        return index === 0 || index === -1 ? v : undefined;
      });
      continue;
    }
    const test = stage.expr;
    const next = stages[i + 1];
    const firstOnly = next?.type === 'filter' && next.expr?.type === 'number' && next.expr.value === 0;
    if (!firstOnly || test.type !== 'binary' || (test.value !== '=' && test.value !== '!='))
      throw new NotNative();
    const field = simpleName(test.lhs);
    const expected = test.rhs ? literal(test.rhs) : undefined;
    if (field === undefined || expected === undefined) throw new NotNative();
    const negate = test.value === '!=';
    const matches = (item: unknown): boolean | typeof FALLBACK => {
      const v = own(item, field);
      if (Array.isArray(v) || (v !== null && typeof v === 'object')) return FALLBACK;
      // JSONata: a comparison with a missing value is false, for = and != alike.
      if (v === undefined) return false;
      return negate ? v !== expected.value : v === expected.value;
    };
    out.push((v) => {
      const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
      for (const item of items) {
        const m = matches(item);
        if (m === FALLBACK) return FALLBACK;
        if (m) return item;
      }
      return undefined;
    });
    i++; // the [0] was consumed with the predicate
  }
  return out;
}

function simpleName(node: Node | undefined): string | undefined {
  if (node?.type !== 'path' || node.steps?.length !== 1 || !isPlainNode(node)) return undefined;
  const [step] = node.steps;
  if (step.type !== 'name' || step.stages?.length || !isPlainNode(step)) return undefined;
  return step.value as string;
}

function compilePath(node: Node): Eval {
  const steps = node.steps ?? [];
  if (steps.length === 0 || !isPlainNode(node)) throw new NotNative();
  let start: Eval = (record) => record;
  let rest = steps;
  if (steps[0].type === 'variable') {
    const name = steps[0].value as string;
    if (!VARIABLES.has(name) || steps[0].stages?.length || steps[0].predicate) throw new NotNative();
    start = name === 'parent' ? (_r, s) => s.parent : (_r, s) => s.subscription;
    rest = steps.slice(1);
  }
  const compiled = rest.map((step) => {
    if (step.type !== 'name' || step.predicate || !isPlainNode(step)) throw new NotNative();
    const name = step.value as string;
    if (FORBIDDEN_KEYS.has(name)) throw new NotNative();
    return { name, stages: compileStages(step.stages) };
  });
  return (record, state) => {
    let current = start(record, state);
    for (const step of compiled) {
      if (Array.isArray(current)) return FALLBACK; // JSONata would map the step over the list
      current = own(current, step.name);
      for (const stage of step.stages) {
        current = stage(current);
        if (current === FALLBACK) return FALLBACK;
      }
    }
    return Array.isArray(current) ? FALLBACK : current;
  };
}

function compileNode(node: Node): Eval {
  const lit = literal(node);
  if (lit) return () => lit.value;
  if (node.type === 'path') return compilePath(node);
  if (node.type === 'variable' && isPlainNode(node) && !node.predicate) {
    if (node.value === 'itemIndex') return (_r, s) => s.itemIndex;
    if (node.value === 'parent') return (_r, s) => (Array.isArray(s.parent) ? FALLBACK : s.parent);
  }
  if (
    node.type === 'function' &&
    node.value === '(' &&
    isPlainNode(node) &&
    node.procedure?.type === 'variable'
  ) {
    const helper = HELPERS[node.procedure.value as string];
    if (!helper || node.procedure.predicate) throw new NotNative();
    const args = (node.arguments ?? []).map(compileNode);
    return (record, state) => {
      const values: unknown[] = [];
      for (const arg of args) {
        const v = arg(record, state);
        if (v === FALLBACK || Array.isArray(v) || (v !== null && typeof v === 'object')) return FALLBACK;
        values.push(v);
      }
      return helper(state, record, values);
    };
  }
  throw new NotNative();
}

/** Compiles a formula into the fast lane, or returns undefined when it needs JSONata. */
export function compileNative(text: string): NativeFormula | undefined {
  let ast: Node;
  try {
    ast = jsonata(text).ast() as unknown as Node;
  } catch {
    return undefined;
  }
  try {
    return compileNode(ast);
  } catch (error) {
    if (error instanceof NotNative) return undefined;
    throw error;
  }
}
