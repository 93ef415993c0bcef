// Hub records in the store: reads, writes with a version from the service-wide change sequence, soft
// deletes, and the change feed. Every write calls the change listener inside its own transaction, which
// is how the transfers a write triggers commit with it or not at all.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError } from '../domain/errors.ts';
import { HUB_INPUT_SCHEMAS, type HubKind, type HubRecord, type HubRecordOf } from '../domain/hub.ts';
import { plainIssueMessage } from '../domain/validation-messages.ts';
import type { Store } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import type { HubRecordsTable } from '../store/tables/hub.ts';

export type ChangeKind = 'created' | 'updated' | 'deleted';

export interface HubChange {
  kind: HubKind;
  id: string;
  version: number;
  change: ChangeKind;
  /** The subscription whose TO-hub transfer made this write (its FROM-hub flows must not echo it). */
  originSubscriptionId: string | null;
}

/** Runs inside the write's transaction; throwing rolls the write back. */
export type ChangeListener = (trx: Kysely<Database>, changes: HubChange[]) => Promise<void>;

export interface WriteOptions {
  originSubscriptionId?: string | null;
}

export interface WriteResult {
  records: HubRecord[];
  created: number;
  updated: number;
}

export interface ListOptions {
  limit?: number;
  cursor?: string;
  email?: string;
  includeDeleted?: boolean;
}

export interface ChangeFeedEntry {
  kind: HubKind;
  id: string;
  version: number;
  deleted: boolean;
  updated_datetime: string;
  record: HubRecord | null;
}

// Multi-row statements stay well under SQLite's bound-parameter limit.
const CHUNK = 400;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function toRecord(
  row: Pick<HubRecordsTable, 'id' | 'version' | 'body' | 'created_at' | 'updated_at'>,
): HubRecord {
  return {
    ...(JSON.parse(row.body) as object),
    id: row.id,
    version: Number(row.version),
    created_datetime: row.created_at,
    updated_datetime: row.updated_at,
  } as HubRecord;
}

function emailOf(input: Record<string, unknown>): string | null {
  const e = input.email_address;
  return typeof e === 'string' && e !== '' ? e.toLowerCase() : null;
}

export class HubStore {
  readonly store: Store;
  private readonly listeners: ChangeListener[] = [];
  private readonly now: () => Date;

  constructor(store: Store, options: { now?: () => Date } = {}) {
    this.store = store;
    this.now = options.now ?? (() => new Date());
  }

  /** Adds a listener called inside every write's transaction (the transfer engine's trigger). */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  async get<K extends HubKind>(
    kind: K,
    id: string,
    options: { includeDeleted?: boolean } = {},
  ): Promise<HubRecordOf<K> | null> {
    const row = await this.store.db
      .selectFrom('hub_records')
      .selectAll()
      .where('kind', '=', kind)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || (row.deleted && !options.includeDeleted)) return null;
    return toRecord(row) as HubRecordOf<K>;
  }

  async getMany<K extends HubKind>(kind: K, ids: string[]): Promise<Map<string, HubRecordOf<K>>> {
    const out = new Map<string, HubRecordOf<K>>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await this.store.db
        .selectFrom('hub_records')
        .selectAll()
        .where('kind', '=', kind)
        .where('id', 'in', part)
        .where('deleted', '=', 0)
        .execute();
      for (const row of rows) out.set(row.id, toRecord(row) as HubRecordOf<K>);
    }
    return out;
  }

  /** Which of these ids name a record that was deleted (soft-deleted rows remain), as opposed to never existing. */
  async deletedIds(kind: HubKind, ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await this.store.db
        .selectFrom('hub_records')
        .select(['id'])
        .where('kind', '=', kind)
        .where('id', 'in', part)
        .where('deleted', '!=', 0)
        .execute();
      for (const row of rows) out.add(row.id);
    }
    return out;
  }

  /** Records of a kind with this email address (case-insensitive), oldest first. */
  async findByEmail<K extends HubKind>(kind: K, email: string): Promise<HubRecordOf<K>[]> {
    const rows = await this.store.db
      .selectFrom('hub_records')
      .selectAll()
      .where('kind', '=', kind)
      .where('email', '=', email.toLowerCase())
      .where('deleted', '=', 0)
      .orderBy('created_at')
      .limit(100)
      .execute();
    return rows.map((r) => toRecord(r) as HubRecordOf<K>);
  }

  async list(
    kind: HubKind,
    options: ListOptions = {},
  ): Promise<{ data: HubRecord[]; next_cursor: string | null }> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    let q = this.store.db.selectFrom('hub_records').selectAll().where('kind', '=', kind);
    if (!options.includeDeleted) q = q.where('deleted', '=', 0);
    if (options.cursor) q = q.where('id', '>', options.cursor);
    if (options.email) q = q.where('email', '=', options.email.toLowerCase());
    const rows = await q
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    return {
      data: page.map(toRecord),
      next_cursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }

  /** Records changed after `since` (a version), in the order they changed; each record once, as it is now. */
  async changes(
    since: number,
    options: { limit?: number; kind?: HubKind } = {},
  ): Promise<{ data: ChangeFeedEntry[]; next_cursor: string | null }> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    let q = this.store.db.selectFrom('hub_records').selectAll().where('version', '>', since);
    if (options.kind) q = q.where('kind', '=', options.kind);
    const rows = await q.orderBy('version').limit(limit).execute();
    const data = rows.map((row) => ({
      kind: row.kind as HubKind,
      id: row.id,
      version: Number(row.version),
      deleted: row.deleted === 1,
      updated_datetime: row.updated_at,
      record: row.deleted ? null : toRecord(row),
    }));
    const last = data[data.length - 1];
    return { data, next_cursor: last ? String(last.version) : null };
  }

  /**
   * Creates or replaces records (already validated). Several inputs with one id: the last wins.
   * All of them, and the transfers they trigger, commit together.
   */
  async upsertMany(
    kind: HubKind,
    inputs: Record<string, unknown>[],
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    return this.store.db.transaction().execute((trx) => this.writeInTransaction(trx, kind, inputs, options));
  }

  async upsert<K extends HubKind>(
    kind: K,
    input: Record<string, unknown>,
    options: WriteOptions = {},
  ): Promise<HubRecordOf<K>> {
    const r = await this.upsertMany(kind, [input], options);
    return r.records[0] as HubRecordOf<K>;
  }

  /** Merges fields into a stored record (arrays replace arrays), validating the result as a whole. */
  async patch(kind: HubKind, id: string, fields: Record<string, unknown>, options: WriteOptions = {}) {
    return this.store.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('hub_records')
        .selectAll()
        .where('kind', '=', kind)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row || row.deleted) throw new AppError('RECORD_NOT_FOUND', `No ${kind} with id '${id}'.`);
      const merged = { ...toRecord(row), ...fields, id } as Record<string, unknown>;
      delete merged.version;
      delete merged.updated_datetime;
      const parsed = HUB_INPUT_SCHEMAS[kind].safeParse(merged);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppError('VALIDATION_FAILED', plainIssueMessage(issue, issue.path.join('.') || kind), {
          field: issue.path.join('.'),
        });
      }
      const r = await this.writeInTransaction(trx, kind, [parsed.data as Record<string, unknown>], options);
      return r.records[0];
    });
  }

  /** Soft delete: the record leaves reads and lists, and the change feed shows it deleted. */
  async delete(kind: HubKind, id: string, options: WriteOptions = {}): Promise<void> {
    await this.store.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('hub_records')
        .select(['deleted'])
        .where('kind', '=', kind)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row || row.deleted) throw new AppError('RECORD_NOT_FOUND', `No ${kind} with id '${id}'.`);
      const version = await this.nextVersions(trx, 1);
      await trx
        .updateTable('hub_records')
        .set({
          deleted: 1,
          version,
          updated_at: this.now().toISOString(),
          origin_subscription_id: options.originSubscriptionId ?? null,
        })
        .where('kind', '=', kind)
        .where('id', '=', id)
        .execute();
      await this.notify(trx, [
        { kind, id, version, change: 'deleted', originSubscriptionId: options.originSubscriptionId ?? null },
      ]);
    });
  }

  /** The same write as upsertMany, for callers that already hold a transaction (TO-hub flows). */
  async writeInTransaction(
    trx: Kysely<Database>,
    kind: HubKind,
    inputs: Record<string, unknown>[],
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const byId = new Map<string, Record<string, unknown>>();
    for (const input of inputs) {
      const id = typeof input.id === 'string' && input.id !== '' ? input.id : randomUUID();
      byId.delete(id); // a later duplicate moves to the end, keeping input order for the rest
      byId.set(id, input);
    }
    const ids = [...byId.keys()];
    if (ids.length === 0) return { records: [], created: 0, updated: 0 };

    const existing = new Map<string, { created_at: string; deleted: number }>();
    for (const part of chunks(ids)) {
      const rows = await trx
        .selectFrom('hub_records')
        .select(['id', 'created_at', 'deleted'])
        .where('kind', '=', kind)
        .where('id', 'in', part)
        .execute();
      for (const r of rows) existing.set(r.id, r);
    }

    const last = await this.nextVersions(trx, ids.length);
    const first = last - ids.length + 1;
    const now = this.now().toISOString();
    const origin = options.originSubscriptionId ?? null;
    const rows: HubRecordsTable[] = [];
    const changes: HubChange[] = [];
    const records: HubRecord[] = [];
    let created = 0;
    ids.forEach((id, i) => {
      const { id: _id, version: _v, created_datetime, updated_datetime: _u, ...body } = byId.get(id)!;
      const before = existing.get(id);
      const isNew = !before || before.deleted === 1;
      if (isNew) created++;
      const createdAt =
        typeof created_datetime === 'string' ? created_datetime : before && !isNew ? before.created_at : now;
      const row: HubRecordsTable = {
        kind,
        id,
        version: first + i,
        email: emailOf(body),
        body: JSON.stringify(body),
        created_at: createdAt,
        updated_at: now,
        deleted: 0,
        origin_subscription_id: origin,
      };
      rows.push(row);
      records.push(toRecord(row));
      changes.push({
        kind,
        id,
        version: row.version,
        change: isNew ? 'created' : 'updated',
        originSubscriptionId: origin,
      });
    });

    for (const part of chunks(rows, 200)) {
      await trx
        .insertInto('hub_records')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['kind', 'id']).doUpdateSet((eb) => ({
            version: eb.ref('excluded.version'),
            email: eb.ref('excluded.email'),
            body: eb.ref('excluded.body'),
            created_at: eb.ref('excluded.created_at'),
            updated_at: eb.ref('excluded.updated_at'),
            deleted: 0,
            origin_subscription_id: eb.ref('excluded.origin_subscription_id'),
          })),
        )
        .execute();
    }
    await this.notify(trx, changes);
    return { records, created, updated: ids.length - created };
  }

  /** Reserves n versions; returns the last. A counter row (not a sequence) so versions commit in order. */
  private async nextVersions(trx: Kysely<Database>, n: number): Promise<number> {
    const r = await trx
      .updateTable('hub_sequence')
      .set((eb) => ({ value: eb('value', '+', n) }))
      .where('name', '=', 'hub')
      .returning('value')
      .executeTakeFirstOrThrow();
    return Number(r.value);
  }

  private async notify(trx: Kysely<Database>, changes: HubChange[]): Promise<void> {
    for (const listener of this.listeners) await listener(trx, changes);
  }
}
