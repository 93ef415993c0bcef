// Alerts as the API and the console show them: newest first, each with the messages sent for it.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface AlertView {
  id: string;
  subscription_id: string | null;
  subscription_name: string | null;
  kind: string;
  state: string;
  code: string | null;
  title: string;
  message: string;
  details: Record<string, unknown>;
  opened_at: string;
  resolved_at: string | null;
  resolution: string | null;
  notifications: {
    id: string;
    event: string;
    channel: string;
    target: string;
    state: string;
    attempts: number;
    error: string | null;
    sent_at: string | null;
  }[];
}

export interface AlertFilter {
  id?: string;
  subscriptionId?: string;
  state?: string;
  /** Alerts opened before this time (the previous page's last `opened_at`). */
  before?: string;
  limit: number;
}

export async function listAlerts(db: Kysely<Database>, filter: AlertFilter): Promise<AlertView[]> {
  let q = db
    .selectFrom('alerts as a')
    .leftJoin('subscriptions as s', 's.id', 'a.subscription_id')
    .selectAll('a')
    .select('s.name as subscription_name');
  if (filter.id) q = q.where('a.id', '=', filter.id);
  if (filter.subscriptionId) q = q.where('a.subscription_id', '=', filter.subscriptionId);
  if (filter.state) q = q.where('a.state', '=', filter.state);
  if (filter.before) q = q.where('a.opened_at', '<', filter.before);
  const rows = await q.orderBy('a.opened_at', 'desc').orderBy('a.id', 'desc').limit(filter.limit).execute();
  if (rows.length === 0) return [];
  const notes = await db
    .selectFrom('alert_notifications')
    .selectAll()
    .where(
      'alert_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    subscription_id: r.subscription_id,
    subscription_name: r.subscription_name ?? null,
    kind: r.kind,
    state: r.state,
    code: r.code,
    title: r.title,
    message: r.message,
    details: JSON.parse(r.details) as Record<string, unknown>,
    opened_at: r.opened_at,
    resolved_at: r.resolved_at,
    resolution: r.resolution,
    notifications: notes
      .filter((n) => n.alert_id === r.id)
      .map((n) => ({
        id: n.id,
        event: n.event,
        channel: n.channel,
        target: n.target,
        state: n.state,
        attempts: Number(n.attempts),
        error: n.error,
        sent_at: n.sent_at,
      })),
  }));
}
