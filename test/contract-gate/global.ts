// node:test global setup (`--test-global-setup` in package.json): a fresh set of per-file figures for each
// run, and the contract gate's totals printed once every test file has finished.
import { clearRecords, formatTotals, summarize } from './records.ts';

export function globalSetup(): void {
  clearRecords();
}

export function globalTeardown(): void {
  process.stdout.write(`${formatTotals(summarize())}\n`);
}
