// Debug transfers record every Klaviyo request made for them (docs/transfers.md). Clients are shared by all the
// batches of a subscription, so the client's exchange hook cannot know the transfer by itself: the worker
// runs a debug transfer inside a recording scope (AsyncLocalStorage), and the hook hands each exchange to
// the scope it was made in. Calls made outside a scope (ordinary transfers, the profile poll, the
// connection test) build no summary at all.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ExchangeSummary } from '../klaviyo/index.ts';
import { redact } from './redact.ts';
import type { StepInput } from './types.ts';

/** Bodies above this many characters of JSON are cut (a bulk job body can be megabytes). */
export const MAX_STEP_BODY_CHARS = 8_000;

type Recorder = (step: StepInput) => void;

const scope = new AsyncLocalStorage<Recorder>();

/** Runs `fn` so that every Klaviyo exchange it causes becomes a step given to `record`. */
export function recordingExchanges<T>(record: Recorder, fn: () => Promise<T>): Promise<T> {
  return scope.run(record, fn);
}

/** For the client's `wantsExchange`: true only inside a recording scope. */
export function isRecordingExchanges(): boolean {
  return scope.getStore() !== undefined;
}

/** For the client's `onExchange`: the exchange as a step of the transfer being recorded, if any. */
export function recordExchange(exchange: ExchangeSummary): void {
  const record = scope.getStore();
  if (record) record(exchangeStep(exchange));
}

export function exchangeStep(e: ExchangeSummary): StepInput {
  const target = pathOf(e.url);
  const answer = e.status === 0 ? 'no answer' : String(e.status);
  const tail = [
    `${Math.round(e.durationMs)} ms`,
    e.attempt > 1 ? `attempt ${e.attempt}` : '',
    e.errorCode ?? '',
  ].filter(Boolean);
  const failed = e.status === 0 || e.status >= 400;
  return {
    kind: 'request',
    level: failed ? 'warn' : 'info',
    message: `${e.method} ${readable(target)} → ${answer} (${tail.join(', ')})`,
    data: {
      operation: e.operationId,
      method: e.method,
      path: target,
      status: e.status,
      attempt: e.attempt,
      duration_ms: Math.round(e.durationMs),
      ...(e.errorCode ? { error_code: e.errorCode } : {}),
      request_headers: redact(e.requestHeaders),
      ...(e.requestBody === undefined ? {} : { request_body: capped(e.requestBody) }),
      ...(e.responseBody === undefined ? {} : { response_body: capped(e.responseBody) }),
    },
  };
}

/** The path and query of a URL (the host is the subscription's API URL, shown elsewhere). */
function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

/** A path with its query decoded, for the message (the data keeps it exact). */
function readable(target: string): string {
  try {
    return decodeURIComponent(target);
  } catch {
    return target;
  }
}

/** The body, redacted; over the cap, its first characters as text and its full size. */
export function capped(body: unknown): unknown {
  const safe = redact(body);
  const text = JSON.stringify(safe) ?? '';
  if (text.length <= MAX_STEP_BODY_CHARS) return safe;
  return { truncated: true, chars: text.length, preview: text.slice(0, MAX_STEP_BODY_CHARS) };
}
