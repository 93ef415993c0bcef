// Outbound hub webhook deliveries as transfers of the `hub-webhook` flow. A hub write made by Klaviyo
// (a TO-hub transfer: the write carries its origin subscription) queues, in the write's own
// transaction, one transfer per matching endpoint, holding the delivery exactly as it will be sent. The
// engine then gives deliveries what Klaviyo transfers already have: claim and lease, crash recovery, the
// retry schedule, the transfer log with steps, retry and replay by hand.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fetch, type Response } from 'undici';
import type { ChangeListener, HubChange } from '../hub/store.ts';
import type { Database } from '../store/schema.ts';
import { retryAfterMs } from '../transfer/retry.ts';
import type { FlowContext, FlowHandler, NewTransfer, Outcome, Transfer } from '../transfer/types.ts';
import { EgressRefused, egressAgent, literalRefusal, type Resolver } from './egress.ts';
import type { WebhookEndpoint, WebhookEndpoints } from './endpoints.ts';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signing.ts';

export const HUB_WEBHOOK_FLOW = 'hub-webhook';
export const WEBHOOK_TIMEOUT_MS = 10_000;
const SHOWN_ANSWER_CHARS = 200;

/** The JSON body a receiver gets. */
export interface WebhookDelivery {
  id: string;
  event: string;
  occurred_at: string;
  subscription_id: string;
  record: { kind: string; id: string; version: number; data: Record<string, unknown> | null };
}

/** A `hub-webhook` transfer's payload: where to send, and what (fixed at queue time, so retries resend the same body). */
interface DeliveryPayload {
  endpoint_id: string;
  delivery: WebhookDelivery;
}

/** Deterministic: the same change to the same endpoint is always the same delivery id. */
export function deliveryId(endpointId: string, change: Pick<HubChange, 'kind' | 'id' | 'version'>): string {
  const digest = createHash('sha256')
    .update(`${endpointId}\u0000${change.kind}\u0000${change.id}\u0000${change.version}`)
    .digest('hex');
  return `whd_${digest.slice(0, 32)}`;
}

function wants(endpoint: WebhookEndpoint, event: string, subscriptionId: string): boolean {
  if (!endpoint.events.includes(event)) return false;
  return endpoint.subscription_ids === null || endpoint.subscription_ids.includes(subscriptionId);
}

interface Snapshot {
  data: Record<string, unknown> | null;
  updated_at: string;
}

/** The records as this write left them, read in its transaction. */
async function snapshots(trx: Kysely<Database>, changes: HubChange[]): Promise<Map<string, Snapshot>> {
  const out = new Map<string, Snapshot>();
  const byKind = new Map<string, string[]>();
  for (const c of changes) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c.id]);
  for (const [kind, ids] of byKind) {
    for (let i = 0; i < ids.length; i += 400) {
      const rows = await trx
        .selectFrom('hub_records')
        .select(['id', 'version', 'body', 'created_at', 'updated_at', 'deleted'])
        .where('kind', '=', kind)
        .where('id', 'in', ids.slice(i, i + 400))
        .execute();
      for (const r of rows) {
        const data = r.deleted
          ? null
          : {
              ...(JSON.parse(r.body) as object),
              id: r.id,
              version: Number(r.version),
              created_datetime: r.created_at,
              updated_datetime: r.updated_at,
            };
        out.set(`${kind}\u0000${r.id}`, { data, updated_at: r.updated_at });
      }
    }
  }
  return out;
}

/** The hub listener that queues deliveries for changes Klaviyo made (writes with an origin subscription). */
export function webhookChangeListener(
  endpoints: WebhookEndpoints,
  enqueue: (db: Kysely<Database>, transfers: NewTransfer[]) => Promise<unknown>,
): ChangeListener {
  return async (trx, changes) => {
    const fromKlaviyo = changes.filter((c) => c.originSubscriptionId !== null);
    if (fromKlaviyo.length === 0) return;
    const targets = await endpoints.enabled(trx);
    if (targets.length === 0) return;
    const records = await snapshots(trx, fromKlaviyo);
    const transfers: NewTransfer[] = [];
    for (const c of fromKlaviyo) {
      const subscriptionId = c.originSubscriptionId!;
      const event = `${c.kind}/${c.change}`;
      const snapshot = records.get(`${c.kind}\u0000${c.id}`);
      for (const endpoint of targets) {
        if (!wants(endpoint, event, subscriptionId)) continue;
        const payload: DeliveryPayload = {
          endpoint_id: endpoint.id,
          delivery: {
            id: deliveryId(endpoint.id, c),
            event,
            occurred_at: snapshot?.updated_at ?? new Date().toISOString(),
            subscription_id: subscriptionId,
            record: { kind: c.kind, id: c.id, version: c.version, data: snapshot?.data ?? null },
          },
        };
        transfers.push({
          subscription_id: subscriptionId,
          flow: HUB_WEBHOOK_FLOW,
          direction: 'from_hub',
          trigger: event,
          record_kind: c.kind,
          record_id: c.id,
          record_version: c.version,
          collection_id: endpoint.id,
          // Each change is an event of its own with its own delivery id: never merged into a waiting one.
          collapse: false,
          payload,
        });
      }
    }
    if (transfers.length > 0) await enqueue(trx, transfers);
  };
}

/** Origin and path only: a query string may carry the receiver's own token. */
function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

async function answerStart(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SHOWN_ANSWER_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, SHOWN_ANSWER_CHARS);
}

/**
 * 2xx: done. 408, 429, 5xx: the receiver may recover, retry (a 429 or 503 with Retry-After no sooner
 * than it asked). Other answers (4xx, 3xx) will not change by waiting.
 */
function outcomeOfStatus(status: number, shown: string, waitMs: number | undefined): Outcome {
  if (status >= 200 && status < 300) return { status: 'succeeded' };
  const retryable = status === 408 || status === 429 || status >= 500;
  const why = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  const honoured = retryable && (status === 429 || status === 503) ? waitMs : undefined;
  return {
    status: 'failed',
    code: 'WEBHOOK_DELIVERY_FAILED',
    message: `The receiver answered HTTP ${status}${why}${shown ? `: ${shown}` : ''}`,
    retryable,
    ...(honoured === undefined ? {} : { retryAfterMs: honoured }),
  };
}

export interface WebhookHandlerOptions {
  endpoints: WebhookEndpoints;
  timeoutMs?: number;
  /** Epoch ms, for the timestamp header. */
  now?: () => number;
  /** Loopback receivers are reachable (KLAVIYO_SYNC_ALLOW_SANDBOX_URLS); private networks never are. */
  allowLoopback?: boolean;
  /** Name resolution for deliveries (tests map names of their own); the system resolver by default. */
  resolve?: Resolver;
}

/** The refusal behind a failed fetch, when the egress check is what stopped it. */
function egressRefusalIn(err: unknown): EgressRefused | null {
  for (let e = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    if (e instanceof EgressRefused) return e;
  }
  return null;
}

/** Logs why the receiver's address is refused and fails the delivery for good. */
function refuse(ctx: FlowContext, transferId: string, refused: EgressRefused): Outcome {
  ctx.step(transferId, {
    kind: 'error',
    level: 'error',
    message: `WEBHOOK_URL_NOT_ALLOWED: ${refused.message}`,
  });
  return {
    status: 'failed',
    code: 'WEBHOOK_URL_NOT_ALLOWED',
    message: `Not delivered: ${refused.message}. Point the endpoint at a public https:// URL`,
    retryable: false,
  };
}

export function createHubWebhookHandler(options: WebhookHandlerOptions): FlowHandler {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const allowLoopback = options.allowLoopback ?? false;
  const dispatcher = egressAgent(allowLoopback, options.resolve);

  async function deliver(t: Transfer, ctx: FlowContext): Promise<Outcome | null> {
    const payload = t.payload as DeliveryPayload | null;
    if (!payload?.delivery) {
      return {
        status: 'failed',
        code: 'INTERNAL_ERROR',
        message: 'The delivery has no payload.',
        retryable: false,
      };
    }
    const endpoint = await options.endpoints.forDelivery(payload.endpoint_id);
    if (!endpoint) return { status: 'skipped', reason: 'The webhook endpoint was deleted.' };
    if (!endpoint.enabled) return { status: 'skipped', reason: 'The webhook endpoint is disabled.' };
    const body = JSON.stringify(payload.delivery);
    const timestamp = String(Math.floor(now() / 1000));
    ctx.step(t.id, {
      kind: 'request',
      message: `POST ${shownUrl(endpoint.url)} (${payload.delivery.event}, delivery ${payload.delivery.id})`,
      data: { endpoint_id: endpoint.id, delivery_id: payload.delivery.id, event: payload.delivery.event },
    });
    const literal = literalRefusal(new URL(endpoint.url), allowLoopback);
    if (literal) return refuse(ctx, t.id, literal);
    try {
      const res = await fetch(endpoint.url, {
        dispatcher,
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'klaviyo-sync-webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(endpoint.secret, timestamp, body),
          [TIMESTAMP_HEADER]: timestamp,
          [DELIVERY_HEADER]: payload.delivery.id,
        },
        body,
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
      });
      const shown = await answerStart(res);
      const retryAfter = res.headers.get('retry-after');
      ctx.step(t.id, {
        kind: 'response',
        level: res.ok ? 'info' : 'warn',
        message: `HTTP ${res.status}${retryAfter ? ` (Retry-After: ${retryAfter.slice(0, 40)})` : ''}`,
        data: { status: res.status, answer: shown, ...(retryAfter ? { retry_after: retryAfter } : {}) },
      });
      return outcomeOfStatus(res.status, shown, retryAfterMs(retryAfter, now()));
    } catch (err) {
      if (ctx.signal.aborted) return null; // shutdown: back to the queue, not counted as an attempt
      const refused = egressRefusalIn(err);
      if (refused) return refuse(ctx, t.id, refused);
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const message =
        e.name === 'TimeoutError'
          ? `No answer within ${timeoutMs} ms`
          : `Could not reach the receiver: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
      ctx.step(t.id, { kind: 'error', level: 'warn', message });
      return { status: 'failed', code: 'WEBHOOK_DELIVERY_FAILED', message, retryable: true };
    }
  }

  return {
    flow: HUB_WEBHOOK_FLOW,
    direction: 'from_hub',
    // A lane's batch is sent in parallel; a small batch bounds what one slow receiver holds up.
    maxBatch: 10,
    async handle(batch, ctx) {
      const outcomes = new Map<string, Outcome>();
      await Promise.all(
        batch.map(async (t) => {
          const outcome = await deliver(t, ctx);
          if (outcome) outcomes.set(t.id, outcome);
        }),
      );
      return outcomes;
    },
  };
}
