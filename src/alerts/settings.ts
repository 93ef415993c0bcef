// Where alerts go (email over SMTP, a Slack-compatible incoming webhook) and, per subscription, what
// raises one. Secrets — the SMTP password and the Slack URL, whose path is its token — are kept encrypted
// with the service's secret box and only ever answered masked (docs/alerts.md).
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { lastFour, maskSecret, type SecretBox } from '../secrets/index.ts';
import type { Database } from '../store/schema.ts';
import { checkWebhookUrl } from '../webhooks/endpoints.ts';

export const SMTP_SECURITY = ['starttls', 'tls', 'none'] as const;

const email = z.string().trim().email('must be an email address').max(320);

export const EmailChannelInput = z.strictObject({
  enabled: z.boolean(),
  host: z.string().trim().min(1, 'SMTP host is required').max(255),
  port: z.number().int().min(1).max(65535),
  /** starttls: plain connection upgraded (port 587); tls: TLS from the start (465); none: local relays only. */
  security: z.enum(SMTP_SECURITY),
  username: z.string().trim().max(255).nullable().optional(),
  /** Absent or null: keep the stored password; '' removes it. */
  password: z.string().max(1000).nullable().optional(),
  from: email,
  to: z.array(email).min(1, 'at least one recipient').max(50),
});
export type EmailChannelInput = z.infer<typeof EmailChannelInput>;

export const SlackChannelInput = z.strictObject({
  enabled: z.boolean(),
  /** Absent or null: keep the stored URL. */
  url: z.string().trim().min(1).max(2000).nullable().optional(),
});
export type SlackChannelInput = z.infer<typeof SlackChannelInput>;

export interface EmailChannel {
  enabled: boolean;
  host: string;
  port: number;
  security: (typeof SMTP_SECURITY)[number];
  username: string | null;
  from: string;
  to: string[];
}

export interface ChannelsView {
  email: (EmailChannel & { password_masked: string | null; updated_at: string }) | null;
  slack: { enabled: boolean; url_masked: string | null; updated_at: string } | null;
}

export interface ChannelSecrets {
  email: (EmailChannel & { password: string | null }) | null;
  slack: { enabled: boolean; url: string } | null;
}

export const RulesInput = z.strictObject({
  paused: z.boolean().optional(),
  dead_transfers: z.boolean().optional(),
  failure_window_minutes: z.number().int().min(1).max(1440).optional(),
  max_failures: z.number().int().min(0).max(1_000_000).nullable().optional(),
  max_failure_percent: z.number().min(0).max(100).nullable().optional(),
  min_transfers: z.number().int().min(1).max(1_000_000).optional(),
  email_to: z.array(email).max(50).nullable().optional(),
});
export type RulesInput = z.infer<typeof RulesInput>;

export interface AlertRules {
  subscription_id: string;
  paused: boolean;
  dead_transfers: boolean;
  failure_window_minutes: number;
  max_failures: number | null;
  max_failure_percent: number | null;
  min_transfers: number;
  email_to: string[] | null;
}

/** Pauses and dead transfers alert by default; a failure rate only once the user sets a threshold. */
export const DEFAULT_RULES: Omit<AlertRules, 'subscription_id'> = {
  paused: true,
  dead_transfers: true,
  failure_window_minutes: 60,
  max_failures: null,
  max_failure_percent: null,
  min_transfers: 10,
  email_to: null,
};

/** A Slack URL's path is its credential: show the host and the last four characters only. */
function maskedUrl(url: string, last4: string | null): string {
  try {
    return `${new URL(url).origin}/…${last4 ?? ''}`;
  } catch {
    return maskSecret(last4) ?? '••••';
  }
}

export class AlertSettings {
  private readonly db: Kysely<Database>;
  private readonly secrets: SecretBox;
  private readonly allowLoopback: boolean;

  constructor(db: Kysely<Database>, secrets: SecretBox, allowLoopback: boolean) {
    this.db = db;
    this.secrets = secrets;
    this.allowLoopback = allowLoopback;
  }

  async view(): Promise<ChannelsView> {
    const rows = await this.db.selectFrom('alert_channels').selectAll().execute();
    const out: ChannelsView = { email: null, slack: null };
    for (const row of rows) {
      if (row.id === 'email') {
        const config = JSON.parse(row.config) as EmailChannel;
        out.email = {
          ...config,
          enabled: row.enabled === 1,
          password_masked: maskSecret(row.secret_last4),
          updated_at: row.updated_at,
        };
      } else if (row.id === 'slack' && row.secret_enc) {
        out.slack = {
          enabled: row.enabled === 1,
          url_masked: maskedUrl(this.secrets.decrypt(row.secret_enc), row.secret_last4),
          updated_at: row.updated_at,
        };
      }
    }
    return out;
  }

  /** The channels with their secrets in clear, for sending. */
  async forSending(): Promise<ChannelSecrets> {
    const rows = await this.db.selectFrom('alert_channels').selectAll().execute();
    const out: ChannelSecrets = { email: null, slack: null };
    for (const row of rows) {
      const secret = row.secret_enc ? this.secrets.decrypt(row.secret_enc) : null;
      if (row.id === 'email')
        out.email = {
          ...(JSON.parse(row.config) as EmailChannel),
          enabled: row.enabled === 1,
          password: secret,
        };
      else if (row.id === 'slack' && secret) out.slack = { enabled: row.enabled === 1, url: secret };
    }
    return out;
  }

  private async save(id: string, enabled: boolean, config: object, secret: string | null | undefined) {
    const at = new Date().toISOString();
    const existing = await this.db
      .selectFrom('alert_channels')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    const secretCols =
      secret === undefined
        ? {}
        : secret === null || secret === ''
          ? { secret_enc: null, secret_last4: null }
          : { secret_enc: this.secrets.encrypt(secret), secret_last4: lastFour(secret) };
    if (existing) {
      await this.db
        .updateTable('alert_channels')
        .set({ enabled: enabled ? 1 : 0, config: JSON.stringify(config), updated_at: at, ...secretCols })
        .where('id', '=', id)
        .execute();
    } else {
      await this.db
        .insertInto('alert_channels')
        .values({
          id,
          enabled: enabled ? 1 : 0,
          config: JSON.stringify(config),
          secret_enc: null,
          secret_last4: null,
          updated_at: at,
          ...secretCols,
        })
        .execute();
    }
  }

  async saveEmail(input: EmailChannelInput): Promise<void> {
    const { password, enabled, ...rest } = input;
    const config: Omit<EmailChannel, 'enabled'> = { ...rest, username: rest.username || null };
    // null means "keep"; '' removes the stored password.
    await this.save('email', enabled, config, password === null ? undefined : password);
  }

  async saveSlack(input: SlackChannelInput): Promise<void> {
    const url =
      input.url === undefined || input.url === null ? undefined : this.checkSlackUrl(input.url, 'slack.url');
    if (url === undefined) {
      const has = await this.db
        .selectFrom('alert_channels')
        .select('secret_enc')
        .where('id', '=', 'slack')
        .executeTakeFirst();
      if (!has?.secret_enc)
        throw new AppError('VALIDATION_FAILED', 'Slack webhook URL is required.', { field: 'slack.url' });
    }
    await this.save('slack', input.enabled, {}, url);
  }

  async removeChannel(id: 'email' | 'slack'): Promise<void> {
    await this.db.deleteFrom('alert_channels').where('id', '=', id).execute();
  }

  /** The same rule as webhook endpoints: public https only (loopback too with sandbox URLs allowed). */
  checkSlackUrl(url: string, field: string): string {
    try {
      return checkWebhookUrl(url, this.allowLoopback);
    } catch (err) {
      if (err instanceof AppError)
        throw new AppError(err.code, err.message.replace('Webhook URL', 'Slack webhook URL'), { field });
      throw err;
    }
  }

  async rules(subscriptionId: string): Promise<AlertRules> {
    const row = await this.db
      .selectFrom('alert_rules')
      .selectAll()
      .where('subscription_id', '=', subscriptionId)
      .executeTakeFirst();
    return row ? toRules(row) : { subscription_id: subscriptionId, ...DEFAULT_RULES };
  }

  async allRules(): Promise<Map<string, AlertRules>> {
    const rows = await this.db.selectFrom('alert_rules').selectAll().execute();
    return new Map(rows.map((r) => [r.subscription_id, toRules(r)]));
  }

  async saveRules(subscriptionId: string, input: RulesInput): Promise<AlertRules> {
    const current = await this.rules(subscriptionId);
    const next: AlertRules = {
      subscription_id: subscriptionId,
      paused: input.paused ?? current.paused,
      dead_transfers: input.dead_transfers ?? current.dead_transfers,
      failure_window_minutes: input.failure_window_minutes ?? current.failure_window_minutes,
      max_failures: input.max_failures === undefined ? current.max_failures : input.max_failures,
      max_failure_percent:
        input.max_failure_percent === undefined ? current.max_failure_percent : input.max_failure_percent,
      min_transfers: input.min_transfers ?? current.min_transfers,
      email_to: input.email_to === undefined ? current.email_to : input.email_to,
    };
    const row = {
      paused_enabled: next.paused ? 1 : 0,
      dead_enabled: next.dead_transfers ? 1 : 0,
      failure_window_minutes: next.failure_window_minutes,
      max_failures: next.max_failures,
      max_failure_percent: next.max_failure_percent,
      min_transfers: next.min_transfers,
      email_to: next.email_to && next.email_to.length > 0 ? JSON.stringify(next.email_to) : null,
      updated_at: new Date().toISOString(),
    };
    await this.db
      .insertInto('alert_rules')
      .values({ subscription_id: subscriptionId, ...row })
      .onConflict((oc) => oc.column('subscription_id').doUpdateSet(row))
      .execute();
    return this.rules(subscriptionId);
  }

  async forgetSubscription(subscriptionId: string): Promise<void> {
    await this.db.deleteFrom('alert_rules').where('subscription_id', '=', subscriptionId).execute();
  }
}

function toRules(row: Database['alert_rules']): AlertRules {
  return {
    subscription_id: row.subscription_id,
    paused: row.paused_enabled === 1,
    dead_transfers: row.dead_enabled === 1,
    failure_window_minutes: Number(row.failure_window_minutes),
    max_failures: row.max_failures === null ? null : Number(row.max_failures),
    max_failure_percent: row.max_failure_percent === null ? null : Number(row.max_failure_percent),
    min_transfers: Number(row.min_transfers),
    email_to: row.email_to ? (JSON.parse(row.email_to) as string[]) : null,
  };
}
