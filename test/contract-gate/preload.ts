// Loaded into every test process (`--import` in package.json's test scripts): watches every exchange any
// sandbox in this process has, judges it against stable.json, and fails the test during which a violation
// happened (or the file, when it happened outside a test). See docs/contract-gate.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { after, beforeEach, type TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import { onExchange, type SandboxExchange } from '../../src/sandbox/observer.ts';
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
import type { Verdict } from './validator.ts';

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
  let current = child ? 'child process' : '(outside any test)';
  let pending: GateViolation[] = [];

  const apply = (exchange: SandboxExchange, test: string, verdict: Verdict) => {
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
      const violation = { file, test, exchange: described, problem };
      record.violations.push(violation);
      pending.push(violation);
    }
  };

  // Exchanges go to a worker thread (started at the first one, so files without a sandbox pay nothing);
  // the hooks below wait for its verdicts. Whatever it has not judged at exit is judged here, in-thread.
  let worker: Worker | undefined;
  let workerFailed = false;
  let seq = 0;
  const inflight = new Map<number, { exchange: SandboxExchange; test: string }>();
  let idle: Array<() => void> = [];
  const settle = () => {
    if (inflight.size > 0) return;
    worker?.unref();
    const waiting = idle;
    idle = [];
    for (const resolve of waiting) resolve();
  };
  const judgeHere = (exchange: SandboxExchange): Verdict =>
    (createRequire(import.meta.url)('./judge-worker.ts') as typeof import('./judge-worker.ts')).judge(
      exchange,
    );
  const startWorker = (): Worker => {
    const started = new Worker(new URL('./judge-worker.ts', import.meta.url), { execArgv: [] });
    started.on('message', ({ seq: n, verdict }: { seq: number; verdict: Verdict }) => {
      const entry = inflight.get(n);
      if (!entry) return;
      inflight.delete(n);
      apply(entry.exchange, entry.test, verdict);
      settle();
    });
    started.on('error', () => {
      workerFailed = true;
      for (const [n, entry] of inflight) {
        inflight.delete(n);
        apply(entry.exchange, entry.test, judgeHere(entry.exchange));
      }
      settle();
    });
    return started;
  };

  onExchange((exchange) => {
    if (workerFailed) {
      apply(exchange, current, judgeHere(exchange));
      return;
    }
    worker ??= startWorker();
    seq++;
    inflight.set(seq, { exchange, test: current });
    worker.ref();
    worker.postMessage({ seq, exchange });
  });
  const verdicts = () =>
    inflight.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve));

  const report = (violations: GateViolation[]) =>
    `contract gate: ${violations.length} exchange(s) with the sandbox break Klaviyo's OpenAPI (stable.json) in ${file}:\n` +
    violations
      .slice(0, 20)
      .map((v) => `  • [${v.test}] ${v.exchange}\n      ${v.problem}`)
      .join('\n') +
    (violations.length > 20 ? `\n  … and ${violations.length - 20} more` : '') +
    '\n  (docs/contract-gate.md says how to read and fix these)';
  const flush = async () => {
    await verdicts();
    if (pending.length === 0) return;
    const violations = pending;
    pending = [];
    throw new Error(report(violations));
  };

  process.on('exit', () => {
    for (const [n, entry] of inflight) {
      inflight.delete(n);
      apply(entry.exchange, entry.test, judgeHere(entry.exchange));
    }
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
  // The failure is thrown from the test's own `after` hook: it fails that test, yet the file's
  // afterEach/after hooks (closing its sandbox) still run. A hook of ours that threw would skip them.
  beforeEach((t) => {
    current = t.fullName;
    (t as TestContext).after(async () => {
      current = '(outside any test)';
      await flush();
    });
  });
  // Exchanges outside any test (before/after hooks): their verdicts are collected here, and reported by
  // the exit handler above, which fails the file without skipping anyone's hooks.
  after(() => verdicts());
}

/** The query as a person reads it (`filter=equals(email,"a@b.c")`), or as sent when it does not decode. */
function readable(query: string): string {
  try {
    return decodeURIComponent(query.replace(/\+/g, ' '));
  } catch {
    return query;
  }
}
