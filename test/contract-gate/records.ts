// Where the contract gate keeps its per-file figures, the temporary allow-list, and the totals over a run.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENAPI_DIR } from '../klaviyo/shared-spec.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** CONTRACT_GATE_RECORDS_DIR elsewhere: the gate's own tests run fixtures without touching the run's figures. */
export const RECORDS_DIR =
  process.env.CONTRACT_GATE_RECORDS_DIR ?? join(PROJECT_ROOT, 'test-output/contract-gate');
export const SPEC_FILE = join(OPENAPI_DIR, 'stable.json');
export const ALLOW_LIST_FILE = join(PROJECT_ROOT, 'test/contract-gate/TEMPORARY-allow-list.json');

export interface GateViolation {
  file: string;
  test: string;
  exchange: string;
  problem: string;
}

export interface FileRecord {
  file: string;
  /** false: stable.json was absent and the gate was off (never under CI=true) */
  active: boolean;
  exchanges: number;
  /** exchanges per spec operation (`METHOD /template`) */
  operations: Record<string, number>;
  /** exchanges whose request the spec refuses and the sandbox refused with 4xx (checked as errors) */
  refusedAsSpecRefuses: number;
  violations: GateViolation[];
  /** allow-list entry id → violations it excused */
  allowListed: Record<string, number>;
}

export interface AllowEntry {
  id: string;
  /** `METHOD /template` as in the spec; absent: any operation */
  operation?: string;
  /** test files (from the project root) the entry covers; absent: any file */
  files?: string[];
  /** a regular expression the violation's text must match */
  problem: string;
  reason: string;
  owner: string;
}

/** Whether stable.json is where the gate reads it. */
export function specPresent(): boolean {
  return existsSync(SPEC_FILE);
}

export function readAllowList(): AllowEntry[] {
  if (!existsSync(ALLOW_LIST_FILE)) return [];
  const parsed = JSON.parse(readFileSync(ALLOW_LIST_FILE, 'utf8')) as { entries: AllowEntry[] };
  return parsed.entries ?? [];
}

export function clearRecords(): void {
  rmSync(RECORDS_DIR, { recursive: true, force: true });
  mkdirSync(RECORDS_DIR, { recursive: true });
}

export function recordFileName(file: string): string {
  return join(RECORDS_DIR, `${file.replace(/[^\w.-]+/g, '__')}.json`);
}

export interface Totals {
  files: number;
  /** `klaviyo-sync demo|sandbox` children a test started (their exchanges count in the totals) */
  childProcesses: number;
  filesWithExchanges: number;
  exchanges: number;
  operations: Record<string, number>;
  refusedAsSpecRefuses: number;
  violations: GateViolation[];
  allowListed: Record<string, number>;
  /** allow-list entries no exchange needed in this run: remove them */
  unusedAllowEntries: string[];
  inactiveFiles: string[];
}

export function summarize(): Totals {
  const totals: Totals = {
    files: 0,
    childProcesses: 0,
    filesWithExchanges: 0,
    exchanges: 0,
    operations: {},
    refusedAsSpecRefuses: 0,
    violations: [],
    allowListed: {},
    unusedAllowEntries: [],
    inactiveFiles: [],
  };
  const names = existsSync(RECORDS_DIR) ? readdirSync(RECORDS_DIR).filter((n) => n.endsWith('.json')) : [];
  for (const name of names) {
    const record = JSON.parse(readFileSync(join(RECORDS_DIR, name), 'utf8')) as FileRecord;
    if (record.file.includes(' (child: ')) totals.childProcesses++;
    else totals.files++;
    if (!record.active) totals.inactiveFiles.push(record.file);
    if (record.exchanges > 0) totals.filesWithExchanges++;
    totals.exchanges += record.exchanges;
    totals.refusedAsSpecRefuses += record.refusedAsSpecRefuses;
    for (const [op, n] of Object.entries(record.operations))
      totals.operations[op] = (totals.operations[op] ?? 0) + n;
    for (const [id, n] of Object.entries(record.allowListed))
      totals.allowListed[id] = (totals.allowListed[id] ?? 0) + n;
    totals.violations.push(...record.violations);
  }
  totals.unusedAllowEntries = readAllowList()
    .map((e) => e.id)
    .filter((id) => !totals.allowListed[id]);
  return totals;
}

export function formatTotals(totals: Totals): string {
  const lines = [
    `contract gate: ${totals.exchanges} exchanges checked in ${totals.filesWithExchanges} of ${totals.files} test files (+${totals.childProcesses} CLI children); ` +
      `${Object.keys(totals.operations).length} operations covered; ${totals.violations.length} violations; ` +
      `${Object.values(totals.allowListed).reduce((a, b) => a + b, 0)} allow-listed; ` +
      `${totals.refusedAsSpecRefuses} spec-refused requests answered 4xx`,
  ];
  for (const [id, n] of Object.entries(totals.allowListed)) lines.push(`  allow-listed ${id}: ${n}`);
  for (const id of totals.unusedAllowEntries)
    lines.push(`  allow-list entry ${id} matched nothing: remove it`);
  for (const file of totals.inactiveFiles) lines.push(`  gate OFF in ${file} (stable.json absent)`);
  for (const v of totals.violations.slice(0, 50))
    lines.push(`  VIOLATION ${v.file} › ${v.test}: ${v.exchange}: ${v.problem}`);
  return lines.join('\n');
}
