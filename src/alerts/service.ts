// Alerts as episodes: while a condition holds there is one open alert for it (a burst of 500 dead
// transfers is one alert whose count grows), announced once on every channel when it opens and once when
// it recovers. Opening and resolving are single statements guarded by the store (a unique index on open
// alerts, a conditional update), so several processes checking at once still send one message each.
// Messages are queued as notification rows in the same transaction and sent afterwards with retries.
// docs/alerts.md describes the behaviour.
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { SecretBox } from '../secrets/index.ts';
import type { Database } from '../store/schema.ts';
import type { AlertsTable } from '../store/tables/alerts.ts';
import { WebhookEndpoints } from '../webhooks/endpoints.ts';
import {
  type AlertMessage,
  ChannelError,
  type HttpSender,
  httpSender,
  sendEmail,
  sendSignedWebhook,
  sendSlack,
} from './channels.ts';
import { type Condition, readConditions } from './conditions.ts';
import { AlertSettings } from './settings.ts';
import { type AlertFilter, type AlertView, listAlerts } from './views.ts';

export type { AlertView } from './views.ts';

export const MAX_SEND_ATTEMPTS = 6;
const CLAIM_MS = 60_000;
/** Alerts and their notifications are kept this long, then removed. */
export const ALERT_RETENTION_DAYS = 90;

export interface AlertServiceOptions {
  db: Kysely<Database>;
  secrets: SecretBox;
  log: Logger;
  now: () => number;
  /** Read at send time: with port 0 the URL is known only once the server listens. */
  publicUrl: () => string;
  allowLoopback: boolean;
  http?: HttpSender;
  /** Told of each message tried (the metrics count them). */
  onMessage?: (channel: string, outcome: 'sent' | 'failed') => void;
}

type Target = { channel: 'email' | 'slack' | 'webhook'; target: string };

export class AlertService {
  readonly settings: AlertSettings;
  private readonly db: Kysely<Database>;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly publicUrl: () => string;
  private readonly http: HttpSender;
  private readonly webhooks: WebhookEndpoints;
  private readonly onMessage: (channel: string, outcome: 'sent' | 'failed') => void;
  private sending: Promise<void> | null = null;
  private sendAgain = false;
  /** When the last full check finished (ISO), for the API and tests that await a check. */
  lastCheckedAt: string | null = null;
  checks = 0;

  constructor(o: AlertServiceOptions) {
    this.db = o.db;
    this.log = o.log;
    this.now = o.now;
    this.publicUrl = o.publicUrl;
    this.http = o.http ?? httpSender(o.allowLoopback);
    this.settings = new AlertSettings(o.db, o.secrets, o.allowLoopback);
    this.webhooks = new WebhookEndpoints(o.db, o.secrets);
    this.onMessage = o.onMessage ?? (() => {});
  }

  /** Compares what holds now with the open alerts; opens, updates and resolves. */
  async check(subscriptionId?: string): Promise<void> {
    const now = this.now();
    const rules = await this.settings.allRules();
    const conditions = await readConditions(this.db, rules, now, subscriptionId);
    let q = this.db.selectFrom('alerts').selectAll().where('state', '=', 'open').where('kind', '!=', 'test');
    if (subscriptionId) q = q.where('subscription_id', '=', subscriptionId);
    const open = await q.execute();
    const openByKey = new Map(open.map((a) => [`${a.subscription_id}\u0000${a.kind}`, a]));
    const seen = new Set<string>();
    let queued = false;
    for (const c of conditions) {
      const key = `${c.subscriptionId}\u0000${c.kind}`;
      seen.add(key);
      const current = openByKey.get(key);
      if (c.firing && !current) queued = (await this.open(c, now)) || queued;
      else if (c.firing && current) await this.refresh(current.id, c, now);
      else if (!c.firing && current) queued = (await this.resolve(current.id, c.resolution, now)) || queued;
    }
    // An open alert with no condition any more: its rule was turned off or its subscription removed.
    for (const a of open) {
      if (seen.has(`${a.subscription_id}\u0000${a.kind}`)) continue;
      const exists =
        a.subscription_id !== null &&
        (await this.db
          .selectFrom('subscriptions')
          .select('id')
          .where('id', '=', a.subscription_id)
          .executeTakeFirst());
      queued = (await this.resolve(a.id, exists ? 'This alert was turned off.' : null, now)) || queued;
    }
    if (!subscriptionId) {
      this.lastCheckedAt = new Date(now).toISOString();
      this.checks++;
    }
    if (queued) this.kick();
  }

  private async targets(subscriptionId: string | null, event: 'opened' | 'resolved'): Promise<Target[]> {
    const channels = await this.settings.forSending();
    const out: Target[] = [];
    if (channels.email?.enabled) out.push({ channel: 'email', target: '' });
    if (channels.slack?.enabled) out.push({ channel: 'slack', target: '' });
    for (const e of await this.webhooks.enabled(this.db)) {
      if (!e.events.includes(`alert/${event}`)) continue;
      if (subscriptionId && e.subscription_ids && !e.subscription_ids.includes(subscriptionId)) continue;
      out.push({ channel: 'webhook', target: e.id });
    }
    return out;
  }

  private notificationRows(alertId: string, event: string, targets: Target[], now: number) {
    const at = new Date(now).toISOString();
    return targets.map((t) => ({
      id: randomUUID(),
      alert_id: alertId,
      event,
      channel: t.channel,
      target: t.target,
      state: 'pending',
      attempts: 0,
      next_attempt_at: now,
      claimed_until: null,
      error: null,
      sent_at: null,
      created_at: at,
    }));
  }

  /** Answers whether this call opened it (and so queued its messages). */
  private async open(c: Condition, now: number): Promise<boolean> {
    const id = randomUUID();
    const at = new Date(now).toISOString();
    const targets = await this.targets(c.subscriptionId, 'opened');
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('alerts')
        .values({
          id,
          subscription_id: c.subscriptionId,
          kind: c.kind,
          state: 'open',
          code: c.code,
          title: c.title,
          message: c.message,
          details: JSON.stringify(c.details),
          opened_at: at,
          resolved_at: null,
          resolution: null,
          updated_at: at,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      const mine = await trx.selectFrom('alerts').select('id').where('id', '=', id).executeTakeFirst();
      if (!mine) return false;
      const rows = this.notificationRows(id, 'opened', targets, now);
      if (rows.length > 0) await trx.insertInto('alert_notifications').values(rows).execute();
      this.log.warn({ alertId: id, subscriptionId: c.subscriptionId, kind: c.kind, code: c.code }, c.title);
      return rows.length > 0;
    });
  }

  /** The figures of an open alert follow the episode (no new message). */
  private async refresh(id: string, c: Condition, now: number): Promise<void> {
    await this.db
      .updateTable('alerts')
      .set({
        title: c.title,
        message: c.message,
        details: JSON.stringify(c.details),
        code: c.code,
        updated_at: new Date(now).toISOString(),
      })
      .where('id', '=', id)
      .where('state', '=', 'open')
      .execute();
  }

  /** `resolution` null: resolved without a message (its subscription is gone). */
  private async resolve(id: string, resolution: string | null, now: number): Promise<boolean> {
    const at = new Date(now).toISOString();
    const row = await this.db
      .selectFrom('alerts')
      .select('subscription_id')
      .where('id', '=', id)
      .executeTakeFirst();
    const targets = resolution === null ? [] : await this.targets(row?.subscription_id ?? null, 'resolved');
    return this.db.transaction().execute(async (trx) => {
      const done = await trx
        .updateTable('alerts')
        .set({
          state: 'resolved',
          resolved_at: at,
          resolution: resolution ?? 'Subscription deleted.',
          updated_at: at,
        })
        .where('id', '=', id)
        .where('state', '=', 'open')
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1) return false;
      // Only a message that went out when it opened gets a recovery on that channel.
      const announced = await trx
        .selectFrom('alert_notifications')
        .select(['channel', 'target'])
        .where('alert_id', '=', id)
        .where('event', '=', 'opened')
        .execute();
      const had = new Set(announced.map((n) => `${n.channel}\u0000${n.target}`));
      const rows = this.notificationRows(
        id,
        'resolved',
        targets.filter((t) => had.has(`${t.channel}\u0000${t.target}`)),
        now,
      );
      if (rows.length > 0) await trx.insertInto('alert_notifications').values(rows).execute();
      this.log.info({ alertId: id }, resolution ?? 'alert resolved');
      return rows.length > 0;
    });
  }

  /** Sends due notifications in the background; a second kick while sending runs one more pass. */
  kick(): void {
    if (this.sending) {
      this.sendAgain = true;
      return;
    }
    this.sending = (async () => {
      do {
        this.sendAgain = false;
        try {
          await this.sendDue();
        } catch (err) {
          this.log.error({ err }, 'alerts: sending notifications failed');
        }
      } while (this.sendAgain);
    })().finally(() => {
      this.sending = null;
    });
  }

  /** Waits for the sending under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private async sendDue(): Promise<void> {
    const now = this.now();
    const due = await this.db
      .selectFrom('alert_notifications')
      .selectAll()
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('created_at')
      .limit(50)
      .execute();
    for (const n of due) {
      // Claim it: another process may be looking at the same row.
      const claimed = await this.db
        .updateTable('alert_notifications')
        .set({ claimed_until: now + CLAIM_MS })
        .where('id', '=', n.id)
        .where('state', '=', 'pending')
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      const alert = await this.db
        .selectFrom('alerts')
        .selectAll()
        .where('id', '=', n.alert_id)
        .executeTakeFirst();
      let error: string | null = null;
      if (alert) {
        try {
          await this.deliver(
            n.channel,
            n.target,
            await this.messageOf(alert, n.event as AlertMessage['event']),
            n.id,
          );
        } catch (err) {
          error = err instanceof ChannelError ? err.message : `Unexpected error: ${(err as Error).message}`;
        }
      } else error = 'The alert was removed.';
      const attempts = n.attempts + 1;
      const at = this.now();
      const giveUp = error !== null && (attempts >= MAX_SEND_ATTEMPTS || !alert);
      await this.db
        .updateTable('alert_notifications')
        .set({
          attempts,
          claimed_until: null,
          error,
          state: error === null ? 'sent' : giveUp ? 'failed' : 'pending',
          sent_at: error === null ? new Date(at).toISOString() : null,
          // 30 s, 1 min, 2 min, 4 min, 8 min between tries.
          next_attempt_at: error === null ? n.next_attempt_at : at + 30_000 * 2 ** (attempts - 1),
        })
        .where('id', '=', n.id)
        .execute();
      this.onMessage(n.channel, error === null ? 'sent' : 'failed');
      if (error)
        this.log.warn({ alertId: n.alert_id, channel: n.channel, attempts }, `alert not sent: ${error}`);
    }
  }

  private async messageOf(a: AlertsTable, event: AlertMessage['event']): Promise<AlertMessage> {
    const sub = a.subscription_id
      ? await this.db
          .selectFrom('subscriptions')
          .select('name')
          .where('id', '=', a.subscription_id)
          .executeTakeFirst()
      : undefined;
    return {
      id: a.id,
      event,
      kind: a.kind,
      subscription_id: a.subscription_id,
      subscription_name: sub?.name ?? null,
      code: a.code,
      title: a.title,
      message: event === 'resolved' && a.resolution ? a.resolution : a.message,
      details: JSON.parse(a.details) as Record<string, unknown>,
      opened_at: a.opened_at,
      resolved_at: a.resolved_at,
      console_url: `${this.publicUrl()}/alerts`,
    };
  }

  private async deliver(channel: string, target: string, m: AlertMessage, notificationId: string) {
    const channels = await this.settings.forSending();
    if (channel === 'email') {
      if (!channels.email) throw new ChannelError('Email alerts are not set up any more.');
      const extra = m.subscription_id ? ((await this.settings.rules(m.subscription_id)).email_to ?? []) : [];
      await sendEmail(channels.email, [...new Set([...channels.email.to, ...extra])], m);
    } else if (channel === 'slack') {
      if (!channels.slack) throw new ChannelError('Slack alerts are not set up any more.');
      await sendSlack(this.http, channels.slack.url, m);
    } else if (channel === 'webhook') {
      const endpoint = await this.webhooks.forDelivery(target);
      if (!endpoint) throw new ChannelError('The webhook endpoint was deleted.');
      // Deterministic: a retried notification keeps its delivery id, so receivers can drop repeats.
      const deliveryId = `wha_${createHash('sha256').update(notificationId).digest('hex').slice(0, 32)}`;
      await sendSignedWebhook(this.http, endpoint, deliveryId, m, this.now());
    } else throw new ChannelError(`Unknown channel ${channel}.`);
  }

  /**
   * Sends a test message on every configured channel now (enabled or not) and answers each result. It is
   * listed like any alert, already resolved, so its time and outcome stay visible.
   */
  async sendTest(by: string): Promise<AlertView> {
    const now = this.now();
    const at = new Date(now).toISOString();
    const id = randomUUID();
    const row = {
      id,
      subscription_id: null,
      kind: 'test',
      state: 'resolved',
      code: 'TEST',
      title: 'Test alert',
      message: `A test alert sent by ${by} from the console. If you read this, alerts reach you here.`,
      details: JSON.stringify({ by }),
      opened_at: at,
      resolved_at: at,
      resolution: 'Test alerts need no recovery.',
      updated_at: at,
    };
    await this.db.insertInto('alerts').values(row).execute();
    const channels = await this.settings.forSending();
    const targets: Target[] = [];
    if (channels.email) targets.push({ channel: 'email', target: '' });
    if (channels.slack) targets.push({ channel: 'slack', target: '' });
    for (const e of await this.webhooks.enabled(this.db))
      if (e.events.includes('alert/opened')) targets.push({ channel: 'webhook', target: e.id });
    const rows = this.notificationRows(id, 'test', targets, now);
    const m = await this.messageOf(row, 'test');
    for (const n of rows) {
      let error: string | null = null;
      try {
        await this.deliver(n.channel, n.target, m, n.id);
      } catch (err) {
        error = err instanceof ChannelError ? err.message : `Unexpected error: ${(err as Error).message}`;
      }
      this.onMessage(n.channel, error ? 'failed' : 'sent');
      await this.db
        .insertInto('alert_notifications')
        .values({
          ...n,
          attempts: 1,
          state: error ? 'failed' : 'sent',
          error,
          sent_at: error ? null : new Date(this.now()).toISOString(),
        })
        .execute();
    }
    return (await this.get(id))!;
  }

  async get(id: string): Promise<AlertView | null> {
    const [a] = await this.list({ id, limit: 1 });
    return a ?? null;
  }

  async openCount(): Promise<number> {
    const row = await this.db
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'open')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  list(filter: AlertFilter): Promise<AlertView[]> {
    return listAlerts(this.db, filter);
  }

  /** Removes alerts (and their notifications) resolved more than ALERT_RETENTION_DAYS ago. */
  async cleanup(): Promise<void> {
    const before = new Date(this.now() - ALERT_RETENTION_DAYS * 86_400_000).toISOString();
    const old = await this.db
      .selectFrom('alerts')
      .select('id')
      .where('state', '=', 'resolved')
      .where('resolved_at', '<', before)
      .limit(1000)
      .execute();
    if (old.length === 0) return;
    const ids = old.map((r) => r.id);
    await this.db.deleteFrom('alert_notifications').where('alert_id', 'in', ids).execute();
    await this.db.deleteFrom('alerts').where('id', 'in', ids).execute();
  }
}
