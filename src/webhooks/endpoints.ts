// Outbound hub webhook endpoints: the URL check, the signing secret (made here, kept encrypted, shown
// once) and the rows in `hub_webhooks`.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { hostKind } from '../domain/addresses.ts';
import { AppError } from '../domain/errors.ts';
import { HUB_KINDS } from '../domain/hub.ts';
import { lastFour, maskSecret, type SecretBox } from '../secrets/index.ts';
import type { Database } from '../store/schema.ts';
import type { HubWebhooksTable } from '../store/tables/webhooks.ts';

export const WEBHOOK_EVENTS = HUB_KINDS.flatMap((kind) =>
  (['created', 'updated', 'deleted'] as const).map((change) => `${kind}/${change}`),
);

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  subscription_ids: string[] | null;
  enabled: boolean;
}

/** What the API answers: the secret masked (its last four characters). */
export interface WebhookView extends WebhookEndpoint {
  secret_masked: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * A receiver URL must be public https (no SSRF into the service's network). With sandbox URLs allowed
 * (tests, demos) loopback http and https are accepted too. Answers the normalized URL.
 */
export function checkWebhookUrl(input: string, allowSandbox: boolean): string {
  const refuse = (why: string) =>
    new AppError(
      'WEBHOOK_URL_NOT_ALLOWED',
      `Webhook URL refused: ${why}. Use a public https:// URL${allowSandbox ? ' or http://127.0.0.1:<port>/…' : ''}.`,
      { field: 'url' },
    );
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw refuse('not a URL');
  }
  if (url.username || url.password) throw refuse('it carries a user name or password');
  // The same rule the delivery applies to every address it dials (src/domain/addresses.ts).
  const host = hostKind(url.hostname);
  if (allowSandbox && host === 'loopback' && (url.protocol === 'http:' || url.protocol === 'https:'))
    return url.href;
  if (url.protocol !== 'https:') throw refuse('it is not https');
  if (host !== 'public' && host !== 'name')
    throw refuse('it points at a loopback, private, link-local or otherwise internal address');
  return url.href;
}

/** ≥32 random bytes; the HMAC key is this string's UTF-8 bytes, exactly as shown. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function toEndpoint(row: HubWebhooksTable): WebhookView {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    subscription_ids: row.subscription_ids === null ? null : (JSON.parse(row.subscription_ids) as string[]),
    enabled: row.enabled === 1,
    secret_masked: maskSecret(row.secret_last4),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export class WebhookEndpoints {
  private readonly db: Kysely<Database>;
  private readonly secrets: SecretBox;

  constructor(db: Kysely<Database>, secrets: SecretBox) {
    this.db = db;
    this.secrets = secrets;
  }

  async list(): Promise<WebhookView[]> {
    const rows = await this.db
      .selectFrom('hub_webhooks')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toEndpoint);
  }

  async get(id: string): Promise<WebhookView> {
    const row = await this.db.selectFrom('hub_webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', `No webhook endpoint '${id}'.`);
    return toEndpoint(row);
  }

  /** Enabled endpoints, read in the caller's transaction (the hub write that queues deliveries). */
  async enabled(db: Kysely<Database>): Promise<WebhookEndpoint[]> {
    const rows = await db.selectFrom('hub_webhooks').selectAll().where('enabled', '=', 1).execute();
    return rows.map(toEndpoint);
  }

  /** The endpoint with its secret in clear, for signing a delivery; null when it is gone. */
  async forDelivery(id: string): Promise<(WebhookEndpoint & { secret: string }) | null> {
    const row = await this.db.selectFrom('hub_webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { ...toEndpoint(row), secret: this.secrets.decrypt(row.secret_enc) } : null;
  }

  /** Answers the view and the secret, which no later answer shows again. */
  async create(input: Omit<WebhookEndpoint, 'id'>): Promise<{ view: WebhookView; secret: string }> {
    const secret = newSigningSecret();
    const now = new Date().toISOString();
    const id = randomUUID();
    await this.db
      .insertInto('hub_webhooks')
      .values({
        id,
        url: input.url,
        events: JSON.stringify(input.events),
        subscription_ids: input.subscription_ids === null ? null : JSON.stringify(input.subscription_ids),
        enabled: input.enabled ? 1 : 0,
        secret_enc: this.secrets.encrypt(secret),
        secret_last4: lastFour(secret),
        created_at: now,
        updated_at: now,
      })
      .execute();
    return { view: await this.get(id), secret };
  }

  async update(id: string, changes: Partial<Omit<WebhookEndpoint, 'id'>>): Promise<WebhookView> {
    await this.get(id);
    const set: Partial<HubWebhooksTable> = { updated_at: new Date().toISOString() };
    if (changes.url !== undefined) set.url = changes.url;
    if (changes.events !== undefined) set.events = JSON.stringify(changes.events);
    if (changes.subscription_ids !== undefined)
      set.subscription_ids =
        changes.subscription_ids === null ? null : JSON.stringify(changes.subscription_ids);
    if (changes.enabled !== undefined) set.enabled = changes.enabled ? 1 : 0;
    await this.db.updateTable('hub_webhooks').set(set).where('id', '=', id).execute();
    return this.get(id);
  }

  async rotateSecret(id: string): Promise<{ view: WebhookView; secret: string }> {
    await this.get(id);
    const secret = newSigningSecret();
    await this.db
      .updateTable('hub_webhooks')
      .set({
        secret_enc: this.secrets.encrypt(secret),
        secret_last4: lastFour(secret),
        updated_at: new Date().toISOString(),
      })
      .where('id', '=', id)
      .execute();
    return { view: await this.get(id), secret };
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.db.deleteFrom('hub_webhooks').where('id', '=', id).execute();
  }
}
