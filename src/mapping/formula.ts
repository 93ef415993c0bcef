// Dynamic formulas: JSONata expressions, compiled once per text and cached, with the helpers docs/mappings.md lists.
// JSONata itself has no way to reach the process, files or network; the helpers registered here are pure
// too, and every result is copied into plain JSON values so no function object ever leaves a formula.
// Each evaluation runs under JSONata's guardrails (time, depth, sequence length), so a runaway formula
// fails its record instead of stalling a worker.
import jsonata from 'jsonata';
import type { SubscriptionMappingContext } from '../domain/collections.ts';
import {
  addDays,
  coalesce,
  countryCode,
  customField,
  formatDate,
  isEmpty,
  toE164,
  toIso,
  toUnix,
  truncate,
} from './helpers.ts';
import { compileMatchTest } from './paths.ts';

/** Per-evaluation facts the helpers read: the record, its parent, the subscription, and a warning sink. */
export interface FormulaState {
  parent?: unknown;
  subscription?: SubscriptionMappingContext;
  itemIndex?: number;
  warnings: string[];
}

/**
 * `$e164` as both lanes run it (JSONata here, the fast lane in native.ts): the subscription's default
 * country completes a local number, and a number that cannot be read leaves a warning on the record.
 */
export function e164Helper(state: FormulaState, phone: unknown, country: unknown): string | undefined {
  const result = toE164(phone, country, state.subscription?.default_phone_country);
  if (result.warning) state.warnings.push(result.warning);
  return result.number ?? undefined;
}

export interface SyntaxProblem {
  code: string;
  message: string;
  line: number;
  column: number;
}

export interface CompiledFormula {
  readonly text: string;
  evaluate(input: unknown, state: FormulaState): Promise<unknown>;
}

// JSONata's timeout is wall time from the start of an evaluation, and an evaluation is asynchronous: the
// time other records' evaluations, the workers and the HTTP server take between its steps counts too. On a
// busy machine a correct formula mapping a batch of orders has been seen to pass one second that way, so
// the limit is 10 s: still a stop for a runaway formula, no longer a failure for a slow machine
// (docs/mappings.md, "Formulas").
const GUARDRAILS = { timeout: 10_000, stack: 500, sequence: 100_000 };
const CACHE_LIMIT = 5000;
const cache = new Map<string, CompiledFormula>();

interface Focus {
  environment: { lookup(name: string): unknown };
}

function stateOf(focus: Focus): FormulaState {
  return focus.environment.lookup('__state') as FormulaState;
}

function rootOf(focus: Focus): unknown {
  return focus.environment.lookup('$');
}

/** Turns a JSONata error position (the end of the offending token) into a 1-based line and column. */
export function locate(text: string, position: number, token?: unknown): { line: number; column: number } {
  const width =
    typeof token === 'string' && token !== '(end)'
      ? token.length
      : typeof token === 'number'
        ? String(token).length
        : 1;
  const index = Math.max(0, Math.min(text.length, position - width));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: index - lineStart + 1 };
}

interface JsonataError {
  code?: string;
  position?: number;
  token?: unknown;
  message?: string;
}

function syntaxProblem(text: string, error: unknown): SyntaxProblem {
  const e = (error ?? {}) as JsonataError;
  const { line, column } = locate(text, typeof e.position === 'number' ? e.position : 0, e.token);
  return { code: e.code ?? 'S0000', message: e.message ?? String(error), line, column };
}

/** Checks that a formula parses; returns where and why it does not, or null. */
export function checkFormulaSyntax(text: string): SyntaxProblem | null {
  try {
    jsonata(text);
    return null;
  } catch (error) {
    return syntaxProblem(text, error);
  }
}

export class FormulaSyntaxError extends Error {
  readonly problem: SyntaxProblem;
  constructor(problem: SyntaxProblem) {
    super(`${problem.message} (line ${problem.line}, column ${problem.column})`);
    this.name = 'FormulaSyntaxError';
    this.problem = problem;
  }
}

function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

const predicateCache = new Map<string, (item: unknown, state: FormulaState) => Promise<boolean> | boolean>();

function compilePredicate(text: string): (item: unknown, state: FormulaState) => Promise<boolean> | boolean {
  let predicate = predicateCache.get(text);
  if (predicate) return predicate;
  const simple = compileMatchTest(text);
  if (simple) {
    predicate = (item) => simple(item);
  } else {
    const formula = compileFormula(text);
    predicate = async (item, state) => isTruthy(await formula.evaluate(item, state));
  }
  if (predicateCache.size >= CACHE_LIMIT) predicateCache.clear();
  predicateCache.set(text, predicate);
  return predicate;
}

async function firstMatch(this: Focus, list: unknown, predicate: unknown): Promise<unknown> {
  if (list === undefined || list === null) return undefined;
  const items = Array.isArray(list) ? list : [list];
  if (typeof predicate === 'string') {
    const test = compilePredicate(predicate);
    const state = stateOf(this);
    for (const item of items) if (await test(item, state)) return item;
    return undefined;
  }
  if (typeof predicate === 'function') {
    // JSONata hands its lambdas to native functions wrapped as async JavaScript functions.
    for (const item of items) if (isTruthy(await predicate(item))) return item;
    return undefined;
  }
  throw {
    code: 'M0001',
    message: '$firstMatch needs a predicate: a function or a text such as "is_primary_billing = true"',
  };
}

function fail(error: unknown): never {
  throw { code: 'M0002', message: error instanceof Error ? error.message : String(error) };
}

function guard<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    try {
      return fn(...args);
    } catch (error) {
      fail(error);
    }
  };
}

function registerHelpers(expression: jsonata.Expression): void {
  expression.registerFunction('isEmpty', (v: unknown) => isEmpty(v));
  expression.registerFunction('coalesce', (...values: unknown[]) => coalesce(...values));
  expression.registerFunction('truncate', guard(truncate));
  expression.registerFunction('customField', function (this: Focus, name: unknown, record?: unknown) {
    return customField(record === undefined ? rootOf(this) : record, name);
  });
  expression.registerFunction('firstMatch', firstMatch);
  expression.registerFunction('e164', function (this: Focus, phone: unknown, country?: unknown) {
    return e164Helper(stateOf(this), phone, country);
  });
  expression.registerFunction('countryCode', (v: unknown) => countryCode(v));
  expression.registerFunction('toIso', guard(toIso));
  expression.registerFunction('toUnix', guard(toUnix));
  expression.registerFunction('addDays', guard(addDays));
  expression.registerFunction('formatDate', guard(formatDate));
}

/** The helpers registerHelpers adds, by name. */
export const HELPER_NAMES = [
  'isEmpty',
  'coalesce',
  'truncate',
  'customField',
  'firstMatch',
  'e164',
  'countryCode',
  'toIso',
  'toUnix',
  'addDays',
  'formatDate',
];

/** JSONata's own functions (jsonata 2: the static frame, plus `now` and `millis` bound per evaluation). */
export const JSONATA_FUNCTION_NAMES = [
  ...'sum count max min average string substring substringBefore substringAfter lowercase uppercase length'.split(
    ' ',
  ),
  ...'trim pad match contains replace split join formatNumber formatBase formatInteger parseInteger number'.split(
    ' ',
  ),
  ...'floor ceil round abs sqrt power random boolean not map zip filter single reduce sift keys lookup'.split(
    ' ',
  ),
  ...'append exists spread merge reverse each error assert type sort shuffle distinct base64encode'.split(
    ' ',
  ),
  ...'base64decode encodeUrlComponent encodeUrl decodeUrlComponent decodeUrl eval toMillis fromMillis'.split(
    ' ',
  ),
  ...'clone now millis'.split(' '),
];

const KNOWN_FUNCTIONS = new Set([...HELPER_NAMES, ...JSONATA_FUNCTION_NAMES]);

/**
 * Functions a formula calls that exist nowhere: JSONata only finds out when it runs ("Attempted to invoke
 * a non-function"), so a misspelt helper would pass the save and fail every record. Names the formula
 * binds itself (`$f := function…`, lambda parameters) count as known. Assumes the formula parses.
 */
export function unknownFunctions(text: string): string[] {
  const called = new Set<string>();
  const bound = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as { type?: string; lhs?: { type?: string; value?: unknown }; procedure?: unknown };
    const procedure = n.procedure as { type?: string; value?: unknown } | undefined;
    if ((n.type === 'function' || n.type === 'partial') && procedure?.type === 'variable') {
      if (typeof procedure.value === 'string' && procedure.value) called.add(procedure.value);
    }
    if (n.type === 'bind' && n.lhs?.type === 'variable' && typeof n.lhs.value === 'string')
      bound.add(n.lhs.value);
    if (n.type === 'lambda') {
      for (const arg of (node as { arguments?: { value?: unknown }[] }).arguments ?? []) {
        if (typeof arg.value === 'string') bound.add(arg.value);
      }
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(jsonata(text).ast());
  return [...called].filter((name) => !KNOWN_FUNCTIONS.has(name) && !bound.has(name));
}

/** Copies a JSONata result into plain JSON values: sequences become arrays, functions vanish. */
export function toPlain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' ? undefined : value;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const plain = toPlain(item);
      if (plain !== undefined) out.push(plain);
    }
    return out;
  }
  if ('_jsonata_lambda' in value || '_jsonata_function' in value) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') continue;
    const plain = toPlain((value as Record<string, unknown>)[key]);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

/** Compiles (or takes from the cache) a formula; throws FormulaSyntaxError when it does not parse. */
export function compileFormula(text: string): CompiledFormula {
  const cached = cache.get(text);
  if (cached) return cached;
  let expression: jsonata.Expression;
  try {
    expression = jsonata(text, GUARDRAILS as jsonata.JsonataOptions);
  } catch (error) {
    throw new FormulaSyntaxError(syntaxProblem(text, error));
  }
  registerHelpers(expression);
  const compiled: CompiledFormula = {
    text,
    async evaluate(input, state) {
      const result = await expression.evaluate(input, {
        parent: state.parent,
        subscription: state.subscription,
        itemIndex: state.itemIndex,
        __state: state,
      });
      return toPlain(result);
    },
  };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, compiled);
  return compiled;
}
