// What is wrong with each subscription right now, read from the store: paused (revoked authorization, a
// rejected key, a retired revision, `error` status), transfers gone dead, failures above the rate the
// user set. The store is the truth so that every process checking agrees, and a restart loses nothing.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../store/schema.ts';
import { OPERATOR_PAUSE } from '../transfer/log.ts';
import type { AlertRules } from './settings.ts';
import { DEFAULT_RULES } from './settings.ts';

export const ALERT_KINDS = ['paused', 'dead_transfers', 'failure_rate'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Subscription statuses that mean it cannot reach Klaviyo until someone acts. */
const BROKEN_STATUSES = new Set(['authorization_revoked', 'error']);

export interface Condition {
  subscriptionId: string;
  subscriptionName: string;
  kind: AlertKind;
  firing: boolean;
  code: string | null;
  title: string;
  message: string;
  details: Record<string, unknown>;
  /** What the recovery message says, when it is not firing. */
  resolution: string;
}

interface Counts {
  ended: number;
  failures: number;
  dead: number;
  byCode: Record<string, number>;
  deadByCode: Record<string, number>;
}

const TERMINAL = ['succeeded', 'skipped', 'failed', 'dead'];

const emptyCounts = (): Counts => ({ ended: 0, failures: 0, dead: 0, byCode: {}, deadByCode: {} });

/**
 * Transfers that ended in the last `minutes`, per subscription: all, failed or dead, dead, by code.
 * `ids` null: dead transfers only, for every subscription (a range of the state index, cheap however
 * busy the service is). Otherwise every ended transfer of those subscriptions, for their failure-rate
 * limits (only subscriptions with a limit set pay for this).
 */
async function windowCounts(
  db: Kysely<Database>,
  minutes: number,
  now: number,
  ids: string[] | null,
): Promise<Map<string, Counts>> {
  const since = new Date(now - minutes * 60_000).toISOString();
  let q = db
    .selectFrom('transfers')
    .select(['subscription_id', 'state', 'error_code', sql<number>`count(*)`.as('n')])
    .where('updated_at', '>=', since);
  q =
    ids === null
      ? q.where('state', '=', 'dead')
      : q.where('state', 'in', TERMINAL).where('subscription_id', 'in', ids);
  const rows = await q.groupBy(['subscription_id', 'state', 'error_code']).execute();
  const out = new Map<string, Counts>();
  for (const r of rows) {
    const c = out.get(r.subscription_id) ?? emptyCounts();
    const n = Number(r.n);
    c.ended += n;
    if (r.state === 'failed' || r.state === 'dead') {
      c.failures += n;
      const code = r.error_code ?? 'UNKNOWN';
      c.byCode[code] = (c.byCode[code] ?? 0) + n;
    }
    if (r.state === 'dead') {
      c.dead += n;
      const code = r.error_code ?? 'UNKNOWN';
      c.deadByCode[code] = (c.deadByCode[code] ?? 0) + n;
    }
    out.set(r.subscription_id, c);
  }
  return out;
}

const hasLimit = (r: Omit<AlertRules, 'subscription_id'>) =>
  r.max_failures !== null || r.max_failure_percent !== null;

function topCodes(byCode: Record<string, number>): string {
  return Object.entries(byCode)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([code, n]) => `${code} ×${n}`)
    .join(', ');
}

/** Every condition of every subscription (or of one), with the subscription's rules applied. */
export async function readConditions(
  db: Kysely<Database>,
  rules: Map<string, AlertRules>,
  now: number,
  only?: string,
): Promise<Condition[]> {
  let q = db.selectFrom('subscriptions').select(['id', 'name', 'status', 'status_message']);
  if (only) q = q.where('id', '=', only);
  const subs = await q.execute();
  if (subs.length === 0) return [];
  const pauses = new Map(
    (await db.selectFrom('transfer_pauses').selectAll().execute()).map((p) => [p.subscription_id, p]),
  );
  const ruleOf = (id: string) => rules.get(id) ?? { subscription_id: id, ...DEFAULT_RULES };
  const windows = new Set(subs.map((s) => ruleOf(s.id).failure_window_minutes));
  const deadByWindow = new Map<number, Map<string, Counts>>();
  const ratesByWindow = new Map<number, Map<string, Counts>>();
  for (const w of windows) {
    deadByWindow.set(w, await windowCounts(db, w, now, null));
    const limited = subs.filter((s) => ruleOf(s.id).failure_window_minutes === w && hasLimit(ruleOf(s.id)));
    for (let i = 0; i < limited.length; i += 200) {
      const part = await windowCounts(
        db,
        w,
        now,
        limited.slice(i, i + 200).map((s) => s.id),
      );
      const into = ratesByWindow.get(w) ?? new Map<string, Counts>();
      for (const [id, c] of part) into.set(id, c);
      ratesByWindow.set(w, into);
    }
  }

  const out: Condition[] = [];
  for (const s of subs) {
    const rule = ruleOf(s.id);
    const base = { subscriptionId: s.id, subscriptionName: s.name };
    const pause = pauses.get(s.id);
    const authPause = pause && pause.code !== OPERATOR_PAUSE ? pause : undefined;
    const broken = BROKEN_STATUSES.has(s.status);
    const window = rule.failure_window_minutes;
    const dead = deadByWindow.get(window)?.get(s.id) ?? emptyCounts();
    const counts = ratesByWindow.get(window)?.get(s.id) ?? emptyCounts();

    if (rule.paused) {
      const code = authPause?.code ?? (broken ? s.status : null);
      const reason = authPause?.message ?? s.status_message ?? `Status ${s.status}.`;
      out.push({
        ...base,
        kind: 'paused',
        firing: Boolean(authPause) || broken,
        code,
        title: `${s.name}: paused${code ? ` (${code})` : ''}`,
        message: `Transfers of ${s.name} are waiting: ${reason}`,
        details: {
          status: s.status,
          pause_code: authPause?.code ?? null,
          paused_at: authPause?.paused_at ?? null,
        },
        resolution: `${s.name} is connected again; its waiting transfers run.`,
      });
    }
    if (rule.dead_transfers) {
      out.push({
        ...base,
        kind: 'dead_transfers',
        firing: dead.dead > 0,
        code: 'TRANSFERS_DEAD',
        title: `${s.name}: ${dead.dead} transfer${dead.dead === 1 ? '' : 's'} dead`,
        message:
          `${dead.dead} transfer${dead.dead === 1 ? '' : 's'} of ${s.name} used up ${dead.dead === 1 ? 'its' : 'their'} attempts in the last ` +
          `${window} minutes and will not be retried automatically` +
          (topCodes(dead.deadByCode) ? ` (by code: ${topCodes(dead.deadByCode)})` : '') +
          '. Open the transfer log, fix the cause, then retry or replay them.',
        details: { dead: dead.dead, window_minutes: window, by_code: dead.deadByCode },
        resolution: `No transfer of ${s.name} went dead in the last ${window} minutes.`,
      });
    }
    const percent = counts.ended > 0 ? Math.round((1000 * counts.failures) / counts.ended) / 10 : 0;
    const overCount = rule.max_failures !== null && counts.failures > rule.max_failures;
    const overPercent =
      rule.max_failure_percent !== null &&
      counts.ended >= rule.min_transfers &&
      percent > rule.max_failure_percent;
    if (rule.max_failures !== null || rule.max_failure_percent !== null) {
      const limits = [
        rule.max_failures !== null ? `more than ${rule.max_failures} failures` : null,
        rule.max_failure_percent !== null ? `more than ${rule.max_failure_percent}% failed` : null,
      ]
        .filter(Boolean)
        .join(' or ');
      out.push({
        ...base,
        kind: 'failure_rate',
        firing: overCount || overPercent,
        code: 'FAILURE_RATE',
        title: `${s.name}: ${counts.failures} failures (${percent}%) in ${window} min`,
        message:
          `${counts.failures} of ${counts.ended} transfers of ${s.name} failed in the last ${window} minutes ` +
          `(${percent}%; the alert is set for ${limits})` +
          (topCodes(counts.byCode) ? `. By code: ${topCodes(counts.byCode)}.` : '.'),
        details: {
          failures: counts.failures,
          ended: counts.ended,
          percent,
          window_minutes: window,
          max_failures: rule.max_failures,
          max_failure_percent: rule.max_failure_percent,
          by_code: counts.byCode,
        },
        resolution: `Failures of ${s.name} are back under the limit: ${counts.failures} of ${counts.ended} (${percent}%) in the last ${window} minutes.`,
      });
    }
  }
  return out;
}
