// The transfer log and the operator's actions on it: query, show one with its steps, retry one, replay
// many, pause and resume a subscription's queue, and the retention cleanup.
import { AppError } from '../domain/errors.ts';
import type { Store } from '../store/db.ts';
import { pauseIn } from './queue.ts';
import { chunked, requeue, toTransfer } from './rows.ts';
import type { Transfer, TransferState } from './types.ts';

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
}

export interface TransferStep {
  id: string;
  at: string;
  kind: string;
  level: string;
  message: string;
  data: unknown;
}

export interface PauseInfo {
  subscription_id: string;
  code: string;
  message: string;
  paused_at: string;
}

export const DEFAULT_RETENTION_DAYS = 30;
/** The pause code of a pause made by hand (not lifted by a reconnect). */
export const OPERATOR_PAUSE = 'PAUSED';
const TERMINAL: TransferState[] = ['succeeded', 'skipped', 'dead', 'failed'];

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
    return q;
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

  /** Sends again every failed or dead transfer matching the filter; returns how many went back. */
  async replay(filter: TransferFilter): Promise<{ queued: number; superseded: number }> {
    const states = (filter.states ?? (filter.state ? [filter.state] : ['failed', 'dead'])).filter(
      (s) => s === 'failed' || s === 'dead',
    );
    if (states.length === 0) return { queued: 0, superseded: 0 };
    const rows = await this.filtered({ ...filter, state: undefined, states })
      .select('id')
      .orderBy('id')
      .execute();
    const ids = rows.map((r) => Number(r.id));
    const back = await this.requeueWithNote(ids, 'Replayed.');
    return { queued: back, superseded: ids.length - back };
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
        .where('state', 'in', TERMINAL)
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
