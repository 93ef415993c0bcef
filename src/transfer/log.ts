// The transfer log and the operator's actions on it: query, show one with its steps, retry one, replay
// many, pause and resume a subscription's queue, and the retention cleanup.
import { sql } from 'kysely';
import { AppError } from '../domain/errors.ts';
import type { Store } from '../store/db.ts';
import { errorExplanation } from './explanations.ts';
import { pauseIn } from './queue.ts';
import { chunked, requeue, toTransfer } from './rows.ts';
import type { Transfer, TransferJson, TransferState } from './types.ts';
import { FINISHED_TRANSFER_STATES } from '../domain/transfer-states.ts';

export interface TransferFilter {
  subscription_id?: string;
  state?: TransferState;
  states?: TransferState[];
  record_id?: string;
  flow?: string;
  error_code?: string;
  /** ISO date-times bounding created_at. */
  created_after?: string;
  created_before?: string;
  ids?: string[];
  /**
   * A hub id, a Klaviyo id or an email address: transfers of that record, whichever way it travelled
   * (resolved through the links and the hub's customers by `resolveSearch`).
   */
  search?: string;
  /** Record ids (the resolved search). */
  record_ids?: string[];
}

/** Failures of one error code among the transfers a filter selects. */
export interface FailureGroup {
  error_code: string | null;
  count: number;
  /** The plain explanation (docs/errors.md), if the code has one. */
  explanation: string | null;
}

/** Most transfers one replay call sends back; the answer says how many matched and how many are left. */
export const MAX_REPLAY = 5000;

export interface TransferStep {
  id: string;
  at: string;
  kind: string;
  level: string;
  message: string;
  data: unknown;
}

/** `GET /api/v1/transfers/:id`: the transfer with its steps, oldest first (the console reads this type). */
export type TransferDetailJson = TransferJson & { steps: TransferStep[] };

export interface PauseInfo {
  subscription_id: string;
  code: string;
  message: string;
  paused_at: string;
}

export const DEFAULT_RETENTION_DAYS = 30;
/** The pause code of a pause made by hand (not lifted by a reconnect). */
export const OPERATOR_PAUSE = 'PAUSED';

export class TransferLog {
  readonly store: Store;
  private readonly now: () => number;
  private readonly onRequeue: () => void;

  constructor(store: Store, options: { now?: () => number; onRequeue?: () => void } = {}) {
    this.store = store;
    this.now = options.now ?? Date.now;
    this.onRequeue = options.onRequeue ?? (() => {});
  }

  private filtered(filter: TransferFilter) {
    let q = this.store.db.selectFrom('transfers');
    if (filter.subscription_id) q = q.where('subscription_id', '=', filter.subscription_id);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.states?.length) q = q.where('state', 'in', filter.states);
    if (filter.record_id) q = q.where('record_id', '=', filter.record_id);
    if (filter.flow) q = q.where('flow', '=', filter.flow);
    if (filter.error_code) q = q.where('error_code', '=', filter.error_code);
    if (filter.created_after) q = q.where('created_at', '>=', filter.created_after);
    if (filter.created_before) q = q.where('created_at', '<', filter.created_before);
    if (filter.ids?.length) q = q.where('id', 'in', filter.ids.map(Number).filter(Number.isSafeInteger));
    if (filter.record_ids) {
      // A search that found nothing matches nothing (not everything).
      q = filter.record_ids.length
        ? q.where('record_id', 'in', filter.record_ids)
        : q.where(sql<boolean>`1 = 0`);
    }
    return q;
  }

  /**
   * Turns `search` into the record ids it names: the text itself (a hub id or a Klaviyo id), the other
   * side of its links, and for an email address the hub customers with it and their Klaviyo profiles.
   */
  async resolveSearch(filter: TransferFilter): Promise<TransferFilter> {
    const text = filter.search?.trim();
    if (!text) return { ...filter, search: undefined };
    const ids = new Set<string>([text]);
    if (text.includes('@')) {
      const customers = await this.store.db
        .selectFrom('hub_records')
        .select('id')
        // (kind, email) is indexed; only customers carry an email.
        .where('kind', '=', 'customer')
        .where('email', '=', text.toLowerCase())
        .limit(100)
        .execute();
      for (const c of customers) ids.add(c.id);
    }
    const named = [...ids];
    let links = this.store.db
      .selectFrom('links')
      .select(['hub_id', 'klaviyo_id'])
      .where((eb) => eb.or([eb('hub_id', 'in', named), eb('klaviyo_id', 'in', named)]));
    if (filter.subscription_id) links = links.where('subscription_id', '=', filter.subscription_id);
    for (const link of await links.limit(500).execute()) {
      ids.add(link.hub_id);
      ids.add(link.klaviyo_id);
    }
    return { ...filter, search: undefined, record_ids: [...ids] };
  }

  /** Failed and dead transfers the filter selects, grouped by error code, most frequent first. */
  async failureGroups(filter: TransferFilter): Promise<FailureGroup[]> {
    const states = (filter.states ?? (filter.state ? [filter.state] : ['failed', 'dead'])).filter(
      (s) => s === 'failed' || s === 'dead',
    );
    if (states.length === 0) return [];
    const rows = await this.filtered({ ...filter, state: undefined, states })
      .select(['error_code', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('error_code')
      .execute();
    return rows
      .map((r) => ({
        error_code: r.error_code,
        count: Number(r.n),
        explanation: errorExplanation(r.error_code),
      }))
      .sort((a, b) => b.count - a.count || String(a.error_code).localeCompare(String(b.error_code)));
  }

  /** Every page of the filter's transfers, newest first (for the CSV export). */
  async *each(filter: TransferFilter, pageSize = 500): AsyncGenerator<Transfer[]> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.list(filter, { limit: pageSize, cursor });
      if (page.data.length) yield page.data;
      if (!page.next_cursor) return;
      cursor = page.next_cursor;
    }
  }

  /** Newest first; the cursor is the last id seen. */
  async list(filter: TransferFilter, page: { limit?: number; cursor?: string } = {}) {
    const limit = Math.min(Math.max(page.limit ?? 50, 1), 500);
    let q = this.filtered(filter).selectAll();
    if (page.cursor) q = q.where('id', '<', Number(page.cursor));
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const data = rows.slice(0, limit).map(toTransfer);
    return { data, next_cursor: rows.length > limit ? data[data.length - 1].id : null };
  }

  async count(filter: TransferFilter): Promise<number> {
    const r = await this.filtered(filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async get(id: string): Promise<Transfer | null> {
    const n = Number(id);
    if (!Number.isSafeInteger(n)) return null;
    const row = await this.store.db
      .selectFrom('transfers')
      .selectAll()
      .where('id', '=', n)
      .executeTakeFirst();
    return row ? toTransfer(row) : null;
  }

  async steps(id: string): Promise<TransferStep[]> {
    const rows = await this.store.db
      .selectFrom('transfer_steps')
      .selectAll()
      .where('transfer_id', '=', Number(id))
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: String(r.id),
      at: r.at,
      kind: r.kind,
      level: r.level,
      message: r.message,
      data: r.data === null ? null : JSON.parse(r.data),
    }));
  }

  /** Sends a failed or dead transfer again, with a fresh count of attempts. */
  async retry(id: string): Promise<Transfer> {
    const t = await this.get(id);
    if (!t) throw new AppError('NOT_FOUND', `No transfer with id '${id}'.`);
    if (t.state !== 'failed' && t.state !== 'dead') {
      throw new AppError(
        'TRANSFER_NOT_RETRYABLE',
        `Transfer ${id} is ${t.state}; only failed or dead transfers can be retried.`,
      );
    }
    await this.requeueWithNote([Number(t.id)], 'Retried by hand.', false);
    const queued = (await this.get(id))!;
    this.onRequeue();
    return queued;
  }

  /**
   * Sends again the failed or dead transfers matching the filter, oldest first, at most `limit` of them
   * in one call (MAX_REPLAY): `matched` counts all that match, `remaining` those left for another call.
   */
  async replay(
    filter: TransferFilter,
    limit = MAX_REPLAY,
  ): Promise<{ matched: number; queued: number; superseded: number; remaining: number }> {
    const states = (filter.states ?? (filter.state ? [filter.state] : ['failed', 'dead'])).filter(
      (s) => s === 'failed' || s === 'dead',
    );
    if (states.length === 0) return { matched: 0, queued: 0, superseded: 0, remaining: 0 };
    const selected = { ...filter, state: undefined, states };
    const matched = await this.count(selected);
    const rows = await this.filtered(selected)
      .select('id')
      .orderBy('id')
      .limit(Math.max(1, Math.min(limit, MAX_REPLAY)))
      .execute();
    const ids = rows.map((r) => Number(r.id));
    const back = await this.requeueWithNote(ids, 'Replayed.');
    return { matched, queued: back, superseded: ids.length - back, remaining: matched - ids.length };
  }

  private async requeueWithNote(ids: number[], note: string, wake = true): Promise<number> {
    const now = this.now();
    const at = new Date(now).toISOString();
    const back = await this.store.db.transaction().execute(async (trx) => {
      const went = await requeue(trx, ids, now, {
        resetAttempts: true,
        expect: { states: ['failed', 'dead'] },
      });
      for (const part of chunked(went, 300)) {
        await trx
          .insertInto('transfer_steps')
          .values(
            part.map((id) => ({
              transfer_id: id,
              at,
              kind: 'note',
              level: 'info',
              message: note,
              data: null,
            })),
          )
          .execute();
      }
      return went.length;
    });
    if (back > 0 && wake) this.onRequeue();
    return back;
  }

  /** Stops a subscription's transfers from being taken; they wait in the queue, none fails. */
  async pause(
    subscriptionId: string,
    code = OPERATOR_PAUSE,
    message = 'Paused by an operator.',
  ): Promise<void> {
    await pauseIn(this.store.db, subscriptionId, code, message, new Date(this.now()).toISOString());
  }

  async resume(subscriptionId: string): Promise<boolean> {
    const r = await this.store.db
      .deleteFrom('transfer_pauses')
      .where('subscription_id', '=', subscriptionId)
      .executeTakeFirst();
    const resumed = Number(r.numDeletedRows) > 0;
    if (resumed) this.onRequeue();
    return resumed;
  }

  /**
   * Lifts auth pauses of subscriptions whose connection has been checked and found good since they were
   * paused (a new API key, or OAuth done again): their waiting transfers then run. Operator pauses stay.
   */
  async resumeReconnected(): Promise<string[]> {
    const rows = await this.store.db
      .selectFrom('transfer_pauses as p')
      .innerJoin('subscriptions as s', 's.id', 'p.subscription_id')
      .select(['p.subscription_id', 'p.code', 'p.paused_at', 's.checked_at'])
      .where('s.status', '=', 'connected')
      .execute();
    const ids = rows
      .filter((r) => r.code !== OPERATOR_PAUSE && r.checked_at !== null && r.checked_at > r.paused_at)
      .map((r) => r.subscription_id);
    if (ids.length === 0) return [];
    await this.store.db.deleteFrom('transfer_pauses').where('subscription_id', 'in', ids).execute();
    this.onRequeue();
    return ids;
  }

  async pauseOf(subscriptionId: string): Promise<PauseInfo | null> {
    const r = await this.store.db
      .selectFrom('transfer_pauses')
      .selectAll()
      .where('subscription_id', '=', subscriptionId)
      .executeTakeFirst();
    return r ?? null;
  }

  /**
   * Removes everything the engine keeps for a subscription (transfers, their steps, links, watermarks,
   * its pause and lanes). For when a subscription is deleted; its running transfers' late answers are
   * then ignored.
   */
  async forgetSubscription(subscriptionId: string): Promise<void> {
    await this.store.db.transaction().execute(async (trx) => {
      for (;;) {
        const ids = (
          await trx
            .selectFrom('transfers')
            .select('id')
            .where('subscription_id', '=', subscriptionId)
            .limit(1000)
            .execute()
        ).map((r) => Number(r.id));
        if (ids.length === 0) break;
        await trx.deleteFrom('transfer_steps').where('transfer_id', 'in', ids).execute();
        await trx.deleteFrom('transfers').where('id', 'in', ids).execute();
      }
      await trx.deleteFrom('links').where('subscription_id', '=', subscriptionId).execute();
      await trx.deleteFrom('watermarks').where('subscription_id', '=', subscriptionId).execute();
      await trx.deleteFrom('transfer_pauses').where('subscription_id', '=', subscriptionId).execute();
      await trx.deleteFrom('transfer_lanes').where('subscription_id', '=', subscriptionId).execute();
    });
  }

  /** Deletes finished transfers (and their steps) last changed before the retention period. */
  async cleanup(retentionDays = DEFAULT_RETENTION_DAYS): Promise<number> {
    const cutoff = new Date(this.now() - retentionDays * 86_400_000).toISOString();
    let removed = 0;
    for (;;) {
      const rows = await this.store.db
        .selectFrom('transfers')
        .select('id')
        .where('updated_at', '<', cutoff)
        .where('state', 'in', FINISHED_TRANSFER_STATES)
        // A failed transfer still waiting for its retry is not finished.
        .where((eb) => eb.or([eb('state', '!=', 'failed'), eb('next_attempt_at', 'is', null)]))
        .limit(1000)
        .execute();
      if (rows.length === 0) return removed;
      const ids = rows.map((r) => Number(r.id));
      await this.store.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('transfer_steps').where('transfer_id', 'in', ids).execute();
        await trx.deleteFrom('transfers').where('id', 'in', ids).execute();
      });
      removed += ids.length;
    }
  }
}
