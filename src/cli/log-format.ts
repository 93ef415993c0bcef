// Readable log lines for a person at a terminal. The service logs JSON (pino), one object a line, which
// is what log collectors want; on a terminal those objects drown the human text around them, so
// `klaviyo-sync start` and `worker` pass the lines through this formatter when standard output is a
// terminal (docs/operations.md). Requests are one line each: "12:00:01 GET /healthz 200 1.2 ms".
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
// pino's own fields and Fastify's request plumbing: shown in the line's shape, not as key=value.
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'responseTime']);

const clock = (time: unknown) => {
  const d = new Date(typeof time === 'number' ? time : Date.now());
  return d.toISOString().slice(11, 19);
};

const value = (v: unknown) => {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  if (v && typeof v === 'object' && 'message' in v)
    return JSON.stringify((v as { message: unknown }).message);
  return JSON.stringify(v);
};

type RequestLine = { method?: string; url?: string };

/**
 * One log object as one readable line, or null when the line adds nothing (a request's start).
 * `requests` remembers each request's method and address between its two lines (keyed by reqId).
 */
export function formatLogLine(
  entry: Record<string, unknown>,
  requests: Map<unknown, RequestLine> = new Map(),
): string | null {
  const level = LEVELS[Number(entry.level)] ?? String(entry.level);
  let req = entry.req as RequestLine | undefined;
  const res = entry.res as { statusCode?: number } | undefined;
  // Fastify logs a request twice (received, completed); the completed line says everything.
  if (entry.msg === 'incoming request' && req) {
    // Bounded: a request that never completes must not keep its entry for ever.
    if (requests.size > 1000) requests.clear();
    requests.set(entry.reqId, req);
    return null;
  }
  if (entry.msg === 'request completed') {
    req ??= requests.get(entry.reqId);
    requests.delete(entry.reqId);
  }
  let text: string;
  if (entry.msg === 'request completed' && res) {
    const ms = typeof entry.responseTime === 'number' ? ` ${entry.responseTime.toFixed(1)} ms` : '';
    text = `${req?.method ?? ''} ${req?.url ?? ''} ${res.statusCode}${ms}`.trim();
  } else {
    text = String(entry.msg ?? '');
  }
  const extras = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  const label = level === 'INFO' ? '' : `${level} `;
  const stack = (entry.err as { stack?: string } | undefined)?.stack;
  return `${clock(entry.time)} ${label}${text}${extras.length ? `  ${extras.join(' ')}` : ''}${stack && Number(entry.level) >= 50 ? `\n${stack}` : ''}`;
}

/** A pino destination writing readable lines to `out` (standard output by default). */
export function readableLogStream(out: { write(text: string): unknown } = process.stdout): DestinationStream {
  let pending = '';
  const requests = new Map<unknown, RequestLine>();
  return {
    write(chunk: string) {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
        if (!line.trim()) continue;
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line);
        } catch {
          out.write(`${line}\n`);
          continue;
        }
        const text = formatLogLine(entry, requests);
        if (text !== null) out.write(`${text}\n`);
      }
    },
  };
}

/** Readable lines on a terminal, JSON otherwise (a pipe, a file, a service manager's journal). */
export function logStreamForTerminal(): DestinationStream | undefined {
  return process.stdout.isTTY && !process.env.KLAVIYO_SYNC_LOG_JSON ? readableLogStream() : undefined;
}
