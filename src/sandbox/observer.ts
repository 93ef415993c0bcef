// A process-wide registry of exchange observers: whoever registers one (the test suite's contract gate,
// see docs/contract-gate.md) sees every /api request the sandbox receives and the answer it gives. With no
// observer registered nothing is wrapped or copied, so the sandbox's cost and behaviour are unchanged.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export interface SandboxExchange {
  method: string;
  /** the path without the query, e.g. `/api/profiles/` */
  path: string;
  /** the raw query string without `?` ('' when none) */
  query: string;
  requestHeaders: IncomingHttpHeaders;
  /** the request body as text; undefined when the sandbox answered without reading it */
  requestBody: string | undefined;
  status: number;
  responseHeaders: OutgoingHttpHeaders;
  /** the answer's body as text; undefined when there was none */
  responseBody: string | undefined;
}

export type ExchangeObserver = (exchange: SandboxExchange) => void;

// On globalThis so that every copy of this module in the process (a test preload, the CLI) shares one set.
const KEY = Symbol.for('klaviyo-sync.sandbox.exchange-observers');
const registry = globalThis as { [KEY]?: Set<ExchangeObserver> };
registry[KEY] ??= new Set<ExchangeObserver>();
const observers = registry[KEY];
const requestBodies = new WeakMap<IncomingMessage, Buffer>();

/** Registers an observer; returns the function that removes it. */
export function onExchange(observer: ExchangeObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

export function hasExchangeObservers(): boolean {
  return observers.size > 0;
}

/** Called by the API handler once it has read a body, so the observers see what was sent. */
export function noteRequestBody(req: IncomingMessage, raw: Buffer): void {
  if (observers.size > 0) requestBodies.set(req, raw);
}

/** Wraps the response so the exchange is handed to the observers when the answer is complete. */
export function observeExchange(req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (observers.size === 0) return;
  let headers: OutgoingHttpHeaders = {};
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    const last = args[args.length - 1];
    if (typeof last === 'object' && last !== null && !Array.isArray(last)) {
      headers = { ...(last as OutgoingHttpHeaders) };
    }
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const chunk = args[0];
    const result = end(...args);
    const body =
      typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    const raw = requestBodies.get(req);
    const exchange: SandboxExchange = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      requestHeaders: req.headers,
      requestBody: raw?.toString('utf8'),
      status: res.statusCode,
      responseHeaders: { ...lowerCase(res.getHeaders()), ...lowerCase(headers) },
      responseBody: body === '' ? undefined : body,
    };
    // Synchronously, before the client can read the answer: an observer sees the exchange while the
    // test that caused it is still running.
    for (const observer of observers) {
      try {
        observer(exchange);
      } catch (error) {
        // An observer's fault must never change what the sandbox answered.
        process.stderr.write(
          `sandbox: an exchange observer failed: ${(error as Error)?.stack ?? String(error)}\n`,
        );
      }
    }
    return result;
  }) as ServerResponse['end'];
}

function lowerCase(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
