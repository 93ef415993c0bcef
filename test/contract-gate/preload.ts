// Loaded into every test process (`--import` in package.json's test scripts): watches every exchange any
// sandbox in this process has, judges it against stable.json, and fails the test during which a violation
// happened (or the file, when it happened outside a test). See docs/contract-gate.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { after, afterEach, beforeEach } from 'node:test';
import { onExchange } from '../../src/sandbox/observer.ts';
import {
  type AllowEntry,
  type FileRecord,
  type GateViolation,
  PROJECT_ROOT,
  RECORDS_DIR,
  readAllowList,
  recordFileName,
  SPEC_FILE,
  specPresent,
} from './records.ts';
import type { ContractGate } from './validator.ts';

const orchestrator = process.execArgv.includes('--test') && !process.env.NODE_TEST_CONTEXT;
/** Set by test/cli/run-cli.ts for a `klaviyo-sync demo|sandbox` child: the test file that started it. */
const parentFile = process.env.CONTRACT_GATE_PARENT_FILE;
if (!orchestrator) install();

function install(): void {
  const child = parentFile !== undefined;
  const file = child
    ? `${parentFile} (child: klaviyo-sync ${process.argv.slice(2).join(' ')})`
    : relative(PROJECT_ROOT, process.argv[1] ?? 'unknown');
  const record: FileRecord = {
    file,
    active: specPresent(),
    exchanges: 0,
    operations: {},
    refusedAsSpecRefuses: 0,
    violations: [],
    allowListed: {},
  };
  const write = () => {
    mkdirSync(RECORDS_DIR, { recursive: true });
    writeFileSync(
      recordFileName(child ? `${parentFile}.child-${process.pid}` : file),
      `${JSON.stringify(record, null, 2)}\n`,
    );
  };

  if (!record.active) {
    // Under CI the file fails before any test runs: a run that cannot check the contract never passes.
    if (process.env.CI === 'true')
      throw new Error(`contract gate: ${SPEC_FILE} is absent; under CI=true the gate cannot be skipped`);
    if (!child) process.stdout.write(`# contract gate off: ${SPEC_FILE} is absent\n`);
    process.on('exit', write);
    return;
  }

  const allowList: Array<AllowEntry & { pattern: RegExp }> = readAllowList().map((e) => ({
    ...e,
    pattern: new RegExp(e.problem),
  }));
  let gate: ContractGate | undefined;
  let current = child ? 'child process' : '(outside any test)';
  let pending: GateViolation[] = [];

  onExchange((exchange) => {
    // Loaded at the first exchange (synchronously, require of an ES module): files that never start a
    // sandbox do not pay for Ajv and the 3 MB document.
    gate ??= (
      createRequire(import.meta.url)('./validator.ts') as typeof import('./validator.ts')
    ).createContractGate();
    let verdict: ReturnType<ContractGate['check']>;
    try {
      verdict = gate.check(exchange);
    } catch (error) {
      // A fault of the gate itself fails the test too, rather than passing it unchecked.
      verdict = {
        requestProblems: [],
        violations: [`the contract gate failed: ${(error as Error).message}`],
      };
    }
    record.exchanges++;
    const op = verdict.operation ?? `(no operation) ${exchange.method} ${exchange.path}`;
    record.operations[op] = (record.operations[op] ?? 0) + 1;
    if (verdict.requestProblems.length > 0 && exchange.status >= 400 && exchange.status < 500)
      record.refusedAsSpecRefuses++;
    const described = `${exchange.method} ${exchange.path}${exchange.query ? `?${readable(exchange.query)}` : ''} → ${exchange.status}`;
    for (const problem of verdict.violations) {
      const excuse = allowList.find(
        (e) =>
          (!e.operation || e.operation === verdict.operation) &&
          (!e.files || e.files.some((f) => file === f || file.startsWith(`${f} (child`))) &&
          e.pattern.test(problem),
      );
      if (excuse) {
        record.allowListed[excuse.id] = (record.allowListed[excuse.id] ?? 0) + 1;
        continue;
      }
      const violation = { file, test: current, exchange: described, problem };
      record.violations.push(violation);
      pending.push(violation);
    }
  });

  const report = (violations: GateViolation[]) =>
    `contract gate: ${violations.length} exchange(s) with the sandbox break Klaviyo's OpenAPI (stable.json) in ${file}:\n` +
    violations
      .slice(0, 20)
      .map((v) => `  • [${v.test}] ${v.exchange}\n      ${v.problem}`)
      .join('\n') +
    (violations.length > 20 ? `\n  … and ${violations.length - 20} more` : '') +
    '\n  (docs/contract-gate.md says how to read and fix these)';
  const flush = () => {
    if (pending.length === 0) return;
    const violations = pending;
    pending = [];
    throw new Error(report(violations));
  };

  process.on('exit', () => {
    write();
    if (pending.length > 0) {
      // After the last hook (a late background exchange), or in a CLI child: the exit code fails it.
      process.stderr.write(`${report(pending)}\n`);
      process.exitCode = 1;
    }
  });
  // A CLI child is no test process: its violations fail it through its exit code and stderr, which the
  // test that ran it sees.
  if (child) return;
  beforeEach((t) => {
    current = t.fullName;
  });
  afterEach(() => {
    current = '(outside any test)';
    flush();
  });
  after(flush);
}

/** The query as a person reads it (`filter=equals(email,"a@b.c")`), or as sent when it does not decode. */
function readable(query: string): string {
  try {
    return decodeURIComponent(query.replace(/\+/g, ' '));
  } catch {
    return query;
  }
}
