// Prints the contract gate's totals of the last test run (test-output/contract-gate/*.json); `--json` for
// the figures as JSON. Exits 1 when a violation was recorded.
import { formatTotals, summarize } from './records.ts';

const totals = summarize();
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(totals, null, 2)}\n`);
else process.stdout.write(`${formatTotals(totals)}\n`);
process.exitCode = totals.violations.length > 0 ? 1 : 0;
