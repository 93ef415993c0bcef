// A subscription's health at a glance (docs/console.md, docs/api.md): the last successful transfer, the
// backlog and how fast it drains with an ETA, failures in the last hour and day by error code, and the
// last 24 hours in 10-minute buckets (transfers done and failed, the sampled queue peak).
import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/schema.ts';

/** Rates are measured over this many recent minutes. */
export const RATE_MINUTES = 10;
export const BUCKET_MINUTES = 10;
export const CHART_HOURS = 24;

export interface FailureGroup {
  code: string;
  count: number;
  /** The message of the latest failure with this code. */
  example: string | null;
}

export interface SubscriptionHealth {
  subscription_id: string;
  generated_at: string;
  status: string;
  paused: { code: string; message: string; paused_at: string } | null;
  last_success_at: string | null;
  backlog: { queued: number; running: number; retrying: number; total: number };
  drain: {
    window_minutes: number;
    /** Transfers finished (any outcome) per minute. */
    done_per_minute: number;
    /** Transfers queued per minute. */
    arriving_per_minute: number;
    eta_seconds: number | null;
    /** Why there is no ETA: 'empty', 'paused', 'not_draining' or 'growing'; null with an ETA. */
    eta_note: string | null;
  };
  failures: {
    last_hour: { total: number; by_code: FailureGroup[] };
    last_day: { total: number; by_code: FailureGroup[] };
  };
  chart: {
    bucket_minutes: number;
    /** Epoch seconds of each bucket's start, oldest first. */
    buckets: number[];
    succeeded: number[];
    failed: number[];
    queue_peak: number[];
  };
}

/** Backlog ÷ the net drain rate, when the backlog is shrinking; otherwise why not. */
export function etaOf(
  backlog: number,
  donePerMinute: number,
  arrivingPerMinute: number,
  paused: boolean,
): { eta_seconds: number | null; eta_note: string | null } {
  if (backlog === 0) return { eta_seconds: null, eta_note: 'empty' };
  if (paused) return { eta_seconds: null, eta_note: 'paused' };
  if (donePerMinute === 0) return { eta_seconds: null, eta_note: 'not_draining' };
  const net = donePerMinute - arrivingPerMinute;
  if (net <= 0) return { eta_seconds: null, eta_note: 'growing' };
  return { eta_seconds: Math.ceil((backlog / net) * 60), eta_note: null };
}

async function failureGroups(db: Kysely<Database>, subscriptionId: string, since: string) {
  const rows = await db
    .selectFrom('transfers')
    .select(['error_code', sql<number>`count(*)`.as('n'), sql<string>`max(updated_at)`.as('latest')])
    .where('updated_at', '>=', since)
    .where('subscription_id', '=', subscriptionId)
    .where('state', 'in', ['failed', 'dead'])
    .groupBy('error_code')
    .execute();
  const groups: FailureGroup[] = [];
  for (const r of rows.sort((a, b) => Number(b.n) - Number(a.n))) {
    const example = await db
      .selectFrom('transfers')
      .select('error_message')
      .where('subscription_id', '=', subscriptionId)
      .where('updated_at', '=', r.latest)
      .where('state', 'in', ['failed', 'dead'])
      .$call((q) =>
        r.error_code === null ? q.where('error_code', 'is', null) : q.where('error_code', '=', r.error_code),
      )
      .limit(1)
      .executeTakeFirst();
    groups.push({
      code: r.error_code ?? 'UNKNOWN',
      count: Number(r.n),
      example: example?.error_message ?? null,
    });
  }
  return { total: groups.reduce((t, g) => t + g.count, 0), by_code: groups };
}

export async function subscriptionHealth(
  db: Kysely<Database>,
  sub: { id: string; status: string },
  now: number,
  options: { chart?: boolean } = {},
): Promise<SubscriptionHealth> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const dayAgo = iso(now - 24 * 3_600_000);
  const hourAgo = iso(now - 3_600_000);
  const rateSince = iso(now - RATE_MINUTES * 60_000);

  const pause = await db
    .selectFrom('transfer_pauses')
    .select(['code', 'message', 'paused_at'])
    .where('subscription_id', '=', sub.id)
    .executeTakeFirst();

  // The latest success: within the day through the updated_at index, else the newest by id.
  const recent = await db
    .selectFrom('transfers')
    .select(sql<string | null>`max(updated_at)`.as('at'))
    .where('updated_at', '>=', dayAgo)
    .where('subscription_id', '=', sub.id)
    .where('state', '=', 'succeeded')
    .executeTakeFirst();
  const lastSuccess =
    recent?.at ??
    (
      await db
        .selectFrom('transfers')
        .select('updated_at')
        .where('subscription_id', '=', sub.id)
        .where('state', '=', 'succeeded')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst()
    )?.updated_at ??
    null;

  const waiting = await db
    .selectFrom('transfers')
    .select(['state', sql<number>`count(*)`.as('n')])
    .where('subscription_id', '=', sub.id)
    .where((eb) =>
      eb.or([
        eb('state', 'in', ['queued', 'running']),
        eb.and([eb('state', '=', 'failed'), eb('next_attempt_at', 'is not', null)]),
      ]),
    )
    .groupBy('state')
    .execute();
  const count = (state: string) => Number(waiting.find((w) => w.state === state)?.n ?? 0);
  const backlog = { queued: count('queued'), running: count('running'), retrying: count('failed'), total: 0 };
  backlog.total = backlog.queued + backlog.running + backlog.retrying;

  const done = await db
    .selectFrom('transfers')
    .select(sql<number>`count(*)`.as('n'))
    .where('updated_at', '>=', rateSince)
    .where('subscription_id', '=', sub.id)
    .where('state', 'in', ['succeeded', 'skipped', 'dead', 'failed'])
    .executeTakeFirst();
  const arrived = await db
    .selectFrom('transfers')
    .select(sql<number>`count(*)`.as('n'))
    .where('created_at', '>=', rateSince)
    .where('subscription_id', '=', sub.id)
    .executeTakeFirst();
  const donePerMinute = Math.round((10 * Number(done?.n ?? 0)) / RATE_MINUTES) / 10;
  const arrivingPerMinute = Math.round((10 * Number(arrived?.n ?? 0)) / RATE_MINUTES) / 10;

  // The chart: 10-minute buckets, keyed by the ISO text's first 15 characters ("2026-12-04T18:3").
  const bucketSec = BUCKET_MINUTES * 60;
  const lastBucket = Math.floor(now / 1000 / bucketSec) * bucketSec;
  const count24 = (CHART_HOURS * 60) / BUCKET_MINUTES;
  const buckets = Array.from({ length: count24 }, (_, i) => lastBucket - (count24 - 1 - i) * bucketSec);
  const index = new Map(buckets.map((b, i) => [b, i]));
  const succeeded = buckets.map(() => 0);
  const failed = buckets.map(() => 0);
  const queuePeak = buckets.map(() => 0);
  const chartSince = iso(buckets[0]! * 1000);
  // The overview of every subscription shows no chart: skip its two queries there.
  const wantChart = options.chart !== false;
  const ended = !wantChart
    ? []
    : await db
        .selectFrom('transfers')
        .select(['state', sql<string>`substr(updated_at, 1, 15)`.as('bucket'), sql<number>`count(*)`.as('n')])
        .where('updated_at', '>=', chartSince)
        .where('subscription_id', '=', sub.id)
        .where('state', 'in', ['succeeded', 'skipped', 'failed', 'dead'])
        .groupBy(['state', sql`substr(updated_at, 1, 15)`])
        .execute();
  for (const r of ended) {
    const i = index.get(Date.parse(`${r.bucket}0:00.000Z`) / 1000);
    if (i === undefined) continue;
    if (r.state === 'failed' || r.state === 'dead') failed[i]! += Number(r.n);
    else succeeded[i]! += Number(r.n);
  }
  const peaks = !wantChart
    ? []
    : await db
        .selectFrom('queue_depth_samples')
        .select(['minute', 'peak'])
        .where('subscription_id', '=', sub.id)
        .where('minute', '>=', buckets[0]!)
        .execute();
  for (const p of peaks) {
    const i = index.get(Math.floor(Number(p.minute) / bucketSec) * bucketSec);
    if (i !== undefined) queuePeak[i] = Math.max(queuePeak[i]!, Number(p.peak));
  }
  // The bucket under way also shows the depth right now, between samples.
  queuePeak[count24 - 1] = Math.max(queuePeak[count24 - 1]!, backlog.queued + backlog.running);

  return {
    subscription_id: sub.id,
    generated_at: iso(now),
    status: sub.status,
    paused: pause ?? null,
    last_success_at: lastSuccess,
    backlog,
    drain: {
      window_minutes: RATE_MINUTES,
      done_per_minute: donePerMinute,
      arriving_per_minute: arrivingPerMinute,
      ...etaOf(backlog.total, donePerMinute, arrivingPerMinute, pause !== undefined),
    },
    failures: {
      last_hour: await failureGroups(db, sub.id, hourAgo),
      last_day: await failureGroups(db, sub.id, dayAgo),
    },
    chart: { bucket_minutes: BUCKET_MINUTES, buckets, succeeded, failed, queue_peak: queuePeak },
  };
}
