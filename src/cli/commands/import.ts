// `klaviyo-sync import <customers|transactions|products> <file.ndjson>`: streams a file of hub records to
// the service's NDJSON import route with a progress bar, then prints what was accepted and every
// rejected line with its number and reason. Records go through the service, so each accepted one is
// validated, stored and its transfers queued exactly as if it came through the API.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  ApiError,
  createApiClient,
  type ConnectionFlags,
  type ImportReport,
  resolveConnection,
} from '../api-client.ts';
import { createProgress, formatDuration, formatRate, type ProgressStream } from '../progress.ts';

const count = (n: number) => n.toLocaleString('en-US');

export const IMPORT_KINDS = ['customers', 'transactions', 'products'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export interface ImportOptions extends ConnectionFlags {
  /** How many rejected lines to print (the rest are counted). */
  show?: number;
  json?: boolean;
}

export interface ImportIo {
  out: (line: string) => void;
  progressStream?: ProgressStream;
  env?: NodeJS.ProcessEnv;
  stdin?: AsyncIterable<Buffer>;
}

/** Accepts `customer`, `Customers`… so a slip of the plural does not cost a retry. */
export function parseImportKind(raw: string): ImportKind {
  const lower = raw.toLowerCase();
  const kind = (lower.endsWith('s') ? lower : `${lower}s`) as ImportKind;
  if (!IMPORT_KINDS.includes(kind)) {
    throw new ApiError(
      0,
      'VALIDATION_FAILED',
      `Unknown record kind '${raw}': use one of ${IMPORT_KINDS.join(', ')}.`,
    );
  }
  return kind;
}

/** Lines holding something, counted in one streaming pass (the progress bar's total). */
async function countRecords(file: string): Promise<number> {
  let records = 0;
  let inLine = false;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte === 10) {
        if (inLine) records++;
        inLine = false;
      } else if (byte !== 13 && byte !== 32 && byte !== 9) inLine = true;
    }
  }
  return inLine ? records + 1 : records;
}

export async function runImport(
  rawKind: string,
  file: string,
  options: ImportOptions,
  io: ImportIo,
): Promise<ImportReport> {
  const kind = parseImportKind(rawKind);
  // `-` reads standard input (a pipe from another tool); its size is unknown, so the bar shows counts only.
  const fromStdin = file === '-';
  if (!fromStdin) {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new ApiError(0, 'VALIDATION_FAILED', `No such file: ${file}`);
  }
  const total = fromStdin ? undefined : await countRecords(file);
  const client = createApiClient(resolveConnection(options, io.env));
  // A wrong token or an unreachable service is told before the bar starts, not after every line was read.
  await client.checkAuth();
  const started = Date.now();
  const progress = createProgress({ label: `import ${kind}`, total, stream: io.progressStream });
  const input = () =>
    (fromStdin ? (io.stdin ?? process.stdin) : createReadStream(file)) as AsyncIterable<Buffer>;
  let linesSent = 0;
  async function* lines() {
    for await (const chunk of input()) {
      // Lines handed to the service so far; the service reads at its own pace, so this follows it.
      for (const byte of chunk) if (byte === 10) linesSent++;
      progress.update(total === undefined ? linesSent : Math.min(linesSent, total));
      yield chunk;
    }
  }
  let report: ImportReport;
  try {
    report = await client.importNdjson(kind, lines());
  } catch (error) {
    progress.stop('stopped');
    throw error;
  }
  progress.update(total ?? linesSent);
  // The bar goes; the one summary below says what happened, with the time it took.
  progress.stop(false);
  const elapsed = Date.now() - started;
  const records = report.accepted + report.rejectedCount;

  if (options.json) {
    // The service's own answer ({lines, accepted, rejected: <count>, errors: […]}), as docs/api.md shows it.
    const { rejectedCount, rejected, ...answer } = report;
    io.out(JSON.stringify({ ...answer, rejected: rejectedCount, errors: rejected }));
    return report;
  }
  io.out(
    `${kind}: ${count(report.accepted)} accepted, ${count(report.rejectedCount)} rejected in ` +
      `${formatDuration(elapsed)} (${formatRate(elapsed > 0 ? (records * 1000) / elapsed : 0)}) ` +
      `(${fromStdin ? 'standard input' : file})`,
  );
  const show = options.show ?? 20;
  for (const r of report.rejected.slice(0, show)) {
    // The hub's message already names the field ("email_address: must be …").
    io.out(`  line ${r.line}: ${r.code ? `${r.code} ` : ''}${r.message}`);
  }
  const unshown = report.rejectedCount - Math.min(show, report.rejected.length);
  if (unshown > 0) io.out(`  … and ${unshown} more (use --show or --json)`);
  return report;
}
