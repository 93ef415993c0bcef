// NDJSON import: one record a line, streamed. Lines are read as they arrive and written in chunks, so
// memory stays flat whatever the file's size; a bad line is reported by its number and the rest go on.
// A chunk the store refuses as a whole is split in halves until the lines it cannot store are found:
// those are reported, every other line of the chunk is still stored (docs/hub.md).
import { AppError } from '../domain/errors.ts';
import { HUB_INPUT_SCHEMAS, type HubKind } from '../domain/hub.ts';
import { findInputProblem } from '../domain/input-limits.ts';
import { plainIssueMessage } from '../domain/validation-messages.ts';
import type { HubStore, WriteOptions } from './store.ts';

export interface RejectedLine {
  line: number;
  message: string;
  field?: string;
}

export interface ImportReport {
  lines: number;
  accepted: number;
  created: number;
  updated: number;
  rejected: number;
  /** The first `maxReported` rejected lines (the count above covers them all). */
  errors: RejectedLine[];
  errors_truncated: boolean;
}

export interface ImportOptions extends WriteOptions {
  /** Records written per transaction. */
  chunkSize?: number;
  maxLineBytes?: number;
  maxReported?: number;
  onProgress?: (report: ImportReport) => void;
  /** A line the store could not write for a reason of its own (the route logs it); it is reported too. */
  onStoreError?: (err: unknown, firstLine: number) => void;
}

export async function importNdjson(
  hub: HubStore,
  kind: HubKind,
  source: AsyncIterable<Buffer | string>,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const chunkSize = options.chunkSize ?? 500;
  const maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
  const maxReported = options.maxReported ?? 1000;
  const schema = HUB_INPUT_SCHEMAS[kind];
  const report: ImportReport = {
    lines: 0,
    accepted: 0,
    created: 0,
    updated: 0,
    rejected: 0,
    errors: [],
    errors_truncated: false,
  };
  let pending: { line: number; record: Record<string, unknown> }[] = [];

  const reject = (line: number, message: string, field?: string) => {
    report.rejected++;
    if (report.errors.length < maxReported)
      report.errors.push(field ? { line, message, field } : { line, message });
    else report.errors_truncated = true;
  };

  /** Writes lines in one transaction; when the store refuses it, each half again, down to one line. */
  const write = async (lines: { line: number; record: Record<string, unknown> }[]): Promise<void> => {
    try {
      const r = await hub.upsertMany(
        kind,
        lines.map((l) => l.record),
        { originSubscriptionId: options.originSubscriptionId },
      );
      report.accepted += lines.length;
      report.created += r.created;
      report.updated += r.updated;
    } catch (err) {
      if (lines.length === 1) {
        const line = lines[0]!;
        const known = err instanceof AppError && err.status < 500;
        if (!known) options.onStoreError?.(err, line.line);
        return reject(
          line.line,
          known ? err.message : 'could not be stored (see the service log); the other lines went on',
          known ? err.field : undefined,
        );
      }
      const half = Math.ceil(lines.length / 2);
      await write(lines.slice(0, half));
      await write(lines.slice(half));
    }
  };

  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await write(batch);
    options.onProgress?.(report);
  };

  let physicalLine = 0;
  const take = async (text: string) => {
    const lineNo = ++physicalLine;
    const trimmed = text.trim();
    if (trimmed === '') return; // blank lines (a trailing newline) are not records
    report.lines++;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      return reject(lineNo, 'not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return reject(lineNo, 'a line must be one JSON object');
    }
    const problem = findInputProblem(value);
    if (problem) return reject(lineNo, problem.message, problem.field);
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.join('.');
      return reject(lineNo, plainIssueMessage(issue, field || undefined), field || undefined);
    }
    pending.push({ line: lineNo, record: parsed.data as Record<string, unknown> });
    if (pending.length >= chunkSize) await flush();
  };

  // Bytes are split on newlines before decoding, so a character split across chunks stays whole.
  let carry: Buffer = Buffer.alloc(0);
  let skippingLongLine = false;
  for await (const chunk of source) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (carry.length > 0) buf = Buffer.concat([carry, buf]);
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      if (skippingLongLine) {
        skippingLongLine = false;
      } else {
        await take(buf.toString('utf8', start, nl));
      }
      start = nl + 1;
    }
    carry = buf.subarray(start);
    if (carry.length > maxLineBytes && !skippingLongLine) {
      report.lines++;
      reject(++physicalLine, `line longer than ${maxLineBytes} bytes`);
      skippingLongLine = true;
    }
    if (skippingLongLine) carry = Buffer.alloc(0);
    else carry = Buffer.from(carry); // don't keep the whole chunk alive through a slice
  }
  if (!skippingLongLine && carry.length > 0) await take(carry.toString('utf8'));
  await flush();
  return report;
}
