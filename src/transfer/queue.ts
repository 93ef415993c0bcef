// The embedded transfer queue: a table in the store, served by the in-process worker pool. It works the
// same on SQLite and PostgreSQL; on PostgreSQL several worker processes may share it (rows are claimed
// with FOR UPDATE SKIP LOCKED, and a lane is taken under an advisory lock so it runs in one place).
//
// A lane is (subscription, flow). One batch of a lane runs at a time, taken in queue order (debug
// transfers first, then by id), which keeps each subscription's transfers of a flow in FIFO order.
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Store } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import type { TransferStepsTable, TransfersTable } from '../store/tables/transfer.ts';
import { redact, redactString } from './redact.ts';
import { countInterruptions } from './interruptions.ts';
import { DEFAULT_MAX_ATTEMPTS, hasAttemptsLeft, retryDelayMs } from './retry.ts';
import { chunked, endedAs, requeue, toTransfer } from './rows.ts';
import type {
  ClaimedBatch,
  ClaimLimits,
  CompleteResult,
  NewTransfer,
  Outcome,
  StepInput,
  TransferQueue,
} from './types.ts';

export interface EmbeddedQueueOptions {
  /** Epoch ms; tests pass a fake clock. */
  now?: () => number;
  defaultMaxAttempts?: number;
}

type Insertable = Omit<TransfersTable, 'id' | 'interruptions' | 'interrupted_batch'>;

/** A queued transfer as enqueueReturning answers it. */
export interface QueuedTransfer {
  id: string;
  subscription_id: string;
  flow: string;
  record_id: string;
  tracking_id: string;
}

const QUEUED_COLUMNS = ['id', 'subscription_id', 'flow', 'record_id', 'tracking_id'] as const;

function queuedOf(row: {
  id: number | string | bigint;
  subscription_id: string;
  flow: string;
  record_id: string;
  tracking_id: string;
}): QueuedTransfer {
  return { ...row, id: String(row.id) };
}

export class EmbeddedTransferQueue implements TransferQueue {
  readonly store: Store;
  readonly now: () => number;
  readonly defaultMaxAttempts: number;
  private claims = 0;

  constructor(store: Store, options: EmbeddedQueueOptions = {}) {
    this.store = store;
    this.now = options.now ?? Date.now;
    this.defaultMaxAttempts = options.defaultMaxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  /**
   * Adds transfers inside the caller's transaction. A transfer of a record that already waits in the
   * queue for the same subscription and flow is merged into the waiting one (which takes the newer
   * version and payload), so a burst of updates makes one transfer of the latest version.
   */
  async enqueue(db: Kysely<Database>, transfers: NewTransfer[]): Promise<number> {
    await this.insert(db, transfers, false);
    return transfers.length;
  }

  /**
   * enqueue(), answering the transfer that now holds each record: a new one, or the waiting one it was
   * merged into (manual sync reports these ids).
   */
  async enqueueReturning(db: Kysely<Database>, transfers: NewTransfer[]): Promise<QueuedTransfer[]> {
    return this.insert(db, transfers, true);
  }

  private async insert(
    db: Kysely<Database>,
    transfers: NewTransfer[],
    answer: boolean,
  ): Promise<QueuedTransfer[]> {
    const made: QueuedTransfer[] = [];
    if (transfers.length === 0) return made;
    const now = this.now();
    const at = new Date(now).toISOString();
    const byKey = new Map<string, Insertable>();
    const loose: Insertable[] = [];
    for (const t of transfers) {
      const collapseKey = t.debug || t.collapse === false ? null : `${t.flow}:${t.record_id}`;
      const row: Insertable = {
        subscription_id: t.subscription_id,
        collection_id: t.collection_id ?? null,
        flow: t.flow,
        direction: t.direction,
        trigger: t.trigger,
        record_kind: t.record_kind,
        record_id: t.record_id,
        record_version: t.record_version ?? null,
        collapse_key: collapseKey,
        state: 'queued',
        priority: t.debug ? 1 : 0,
        debug: t.debug ? 1 : 0,
        attempts: 0,
        max_attempts: t.max_attempts ?? this.defaultMaxAttempts,
        next_attempt_at: now,
        lease_until: null,
        claimed_by: null,
        error_code: null,
        error_message: null,
        tracking_id: randomUUID(),
        payload: t.payload === undefined ? null : JSON.stringify(t.payload),
        created_at: at,
        updated_at: at,
      };
      if (collapseKey === null) loose.push(row);
      else {
        const key = `${t.subscription_id}\u0000${collapseKey}`;
        const earlier = byKey.get(key);
        // Merged within the request too: the first keeps its trigger, the last gives the version.
        byKey.set(
          key,
          earlier ? { ...earlier, record_version: row.record_version, payload: row.payload } : row,
        );
      }
    }
    for (const part of chunked([...byKey.values()], 300)) {
      const upsert = db
        .insertInto('transfers')
        .values(part)
        .onConflict((oc) =>
          oc
            .columns(['subscription_id', 'collapse_key'])
            // Literal, not bound: the database must see that this is the partial index's predicate.
            .where(sql<boolean>`state = 'queued' AND collapse_key IS NOT NULL`)
            .doUpdateSet((eb) => ({
              record_version: eb.ref('excluded.record_version'),
              payload: eb.ref('excluded.payload'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
        );
      if (answer) made.push(...(await upsert.returning(QUEUED_COLUMNS).execute()).map(queuedOf));
      else await upsert.execute();
    }
    for (const part of chunked(loose, 300)) {
      const plain = db.insertInto('transfers').values(part);
      if (answer) made.push(...(await plain.returning(QUEUED_COLUMNS).execute()).map(queuedOf));
      else await plain.execute();
    }
    const lanes = new Map(transfers.map((t) => [`${t.subscription_id}\u0000${t.flow}`, t]));
    await db
      .insertInto('transfer_lanes')
      .values([...lanes.values()].map((t) => ({ subscription_id: t.subscription_id, flow: t.flow })))
      .onConflict((oc) => oc.columns(['subscription_id', 'flow']).doNothing())
      .execute();
    return made;
  }

  /**
   * Takes the next batch of one lane, or null when nothing is ready. Lanes are looked at one index seek
   * at a time (never a scan of the queue), so a paused subscription with a large backlog, or a busy lane,
   * costs the other lanes nothing.
   */
  async claim(workerId: string, limits: ClaimLimits): Promise<ClaimedBatch | null> {
    if (limits.flows.length === 0) return null;
    const now = this.now();
    const pg = this.store.kind === 'postgres';
    const token = `${workerId}:${++this.claims}`;
    return this.store.db.transaction().execute(async (trx) => {
      for (const lane of await readyLanes(trx, limits.flows)) {
        if (pg && !(await this.takeLaneLock(trx, lane.subscription_id, lane.flow))) continue;
        const batch = await this.takeBatch(trx, lane, limits, token, now);
        if (batch) return batch;
      }
      return null;
    });
  }

  /** Two processes may pick the same lane at once; the advisory lock and a fresh look let one run it. */
  private async takeLaneLock(trx: Kysely<Database>, subscriptionId: string, flow: string): Promise<boolean> {
    const laneKey = `transfer-lane|${subscriptionId}|${flow}`;
    const got = await sql<{
      ok: boolean;
    }>`SELECT pg_try_advisory_xact_lock(hashtext(${laneKey})) AS ok`.execute(trx);
    if (!got.rows[0]?.ok) return false;
    const busy = await trx
      .selectFrom('transfers')
      .select('id')
      .where('state', '=', 'running')
      .where('subscription_id', '=', subscriptionId)
      .where('flow', '=', flow)
      .limit(1)
      .executeTakeFirst();
    return !busy;
  }

  private async takeBatch(
    trx: Kysely<Database>,
    lane: { subscription_id: string; flow: string },
    limits: ClaimLimits,
    token: string,
    now: number,
  ): Promise<ClaimedBatch | null> {
    const max = Math.max(1, limits.maxBatch(lane.flow));
    const pg = this.store.kind === 'postgres';
    // Debug transfers first, then the rest, each in id order: two index-ordered reads, no sort.
    const part = (priority: number, limit: number) =>
      trx
        .selectFrom('transfers')
        .selectAll()
        .where('state', '=', 'queued')
        .where('subscription_id', '=', lane.subscription_id)
        .where('flow', '=', lane.flow)
        .where('priority', '=', priority)
        .orderBy('id')
        .limit(limit)
        .$if(pg, (q) => q.forUpdate().skipLocked())
        .execute();
    const rows = await part(1, max);
    if (rows.length < max) rows.push(...(await part(0, max - rows.length)));
    if (rows.length === 0) return null;
    const split = suspectBatchSize(rows);
    if (split !== undefined) rows.length = split;
    else {
      // Fresh transfers do not share a batch with interrupted ones queued behind them.
      const suspect = rows.findIndex((r) => Number(r.interruptions) > 0);
      if (suspect > 0) rows.length = suspect;
    }
    const at = new Date(now).toISOString();
    for (const ids of chunked(rows.map((r) => r.id))) {
      await trx
        .updateTable('transfers')
        .set({ state: 'running', lease_until: now + limits.leaseMs, claimed_by: token, updated_at: at })
        .where('id', 'in', ids)
        .execute();
    }
    // The backlog only steers single vs bulk calls, so counting stops at BACKLOG_CAP.
    const behind = await trx
      .selectFrom((eb) =>
        eb
          .selectFrom('transfers')
          .select('id')
          .where('state', '=', 'queued')
          .where('subscription_id', '=', lane.subscription_id)
          .where('flow', '=', lane.flow)
          .limit(BACKLOG_CAP)
          .as('q'),
      )
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return {
      subscriptionId: lane.subscription_id,
      flow: lane.flow,
      transfers: rows.map((r) => toTransfer({ ...r, state: 'running', updated_at: at })),
      // A retried batch is kept apart from what waits behind it (a lone one goes by single calls).
      backlog: rows.length + (split === undefined ? Number(behind.n) : 0),
      workerId: token,
      leaseUntil: now + limits.leaseMs,
    };
  }

  /**
   * Extends the claim's lease. Answers whether the claim still holds every transfer of the batch: false
   * once its lease ran out and the transfers were taken back (the worker must then stop writing).
   */
  async renewLease(batch: ClaimedBatch, leaseMs: number): Promise<boolean> {
    const r = await this.store.db
      .updateTable('transfers')
      .set({ lease_until: this.now() + leaseMs })
      .where('claimed_by', '=', batch.workerId)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) >= batch.transfers.length;
  }

  /**
   * Records each transfer's outcome and its log steps in one transaction. Only transfers still held by
   * this claim are touched (their rows locked first): if the lease ran out and the transfer was taken
   * back, its new holder's answer stands and this one is discarded — answered in `discarded` so the
   * worker can say so.
   */
  async complete(
    batch: ClaimedBatch,
    outcomes: Map<string, Outcome>,
    steps: Map<string, StepInput[]>,
  ): Promise<CompleteResult> {
    const now = this.now();
    const at = new Date(now).toISOString();
    const pg = this.store.kind === 'postgres';
    return this.store.db.transaction().execute(async (trx) => {
      const held = await trx
        .selectFrom('transfers')
        .select(['id', 'attempts', 'max_attempts'])
        .where('claimed_by', '=', batch.workerId)
        .where('state', '=', 'running')
        .orderBy('id')
        .$if(pg, (q) => q.forUpdate())
        .execute();
      const heldById = new Map(held.map((h) => [String(h.id), h]));
      const succeeded: number[] = [];
      const back: number[] = [];
      const discarded: string[] = [];
      /** Went back to the queue with an answer (a pause): no longer suspected of stopping the worker. */
      const answered: number[] = [];
      const stepRows: Omit<TransferStepsTable, 'id'>[] = [];
      let pause: { code: string; message: string } | null = null;
      for (const t of batch.transfers) {
        const h = heldById.get(t.id);
        if (!h) {
          discarded.push(t.id);
          continue;
        }
        const id = Number(t.id);
        for (const s of steps.get(t.id) ?? []) {
          stepRows.push({
            transfer_id: id,
            at,
            kind: s.kind,
            level: s.level ?? 'info',
            message: redactString(s.message),
            data: s.data === undefined ? null : JSON.stringify(redact(s.data)),
          });
        }
        const o = outcomes.get(t.id);
        const outcomeStep = (level: string, message: string) =>
          stepRows.push({
            transfer_id: id,
            at,
            kind: 'outcome',
            level,
            message: redactString(message),
            data: null,
          });
        if (!o) {
          back.push(id);
          outcomeStep('warn', 'No outcome (shutdown or interrupted); returned to the queue.');
          continue;
        }
        const collection = 'collection_id' in o && o.collection_id ? { collection_id: o.collection_id } : {};
        switch (o.status) {
          case 'succeeded': {
            if (collection.collection_id) {
              await trx
                .updateTable('transfers')
                .set({ ...endedAs('succeeded', null, null, at), ...collection, attempts: h.attempts + 1 })
                .where('id', '=', id)
                .execute();
            } else succeeded.push(id);
            outcomeStep('info', 'Succeeded.');
            break;
          }
          case 'skipped': {
            await trx
              .updateTable('transfers')
              .set({ ...endedAs('skipped', null, o.reason, at), ...collection, attempts: h.attempts + 1 })
              .where('id', '=', id)
              .execute();
            outcomeStep('info', `Skipped: ${o.reason}`);
            break;
          }
          case 'failed': {
            const attempts = h.attempts + 1;
            const again = o.retryable && hasAttemptsLeft(attempts, h.max_attempts);
            const nextAt = again ? now + Math.max(retryDelayMs(attempts), o.retryAfterMs ?? 0) : null;
            const state = again || !o.retryable ? 'failed' : 'dead';
            await trx
              .updateTable('transfers')
              .set({
                lease_until: null,
                claimed_by: null,
                updated_at: at,
                ...collection,
                state,
                attempts,
                // It ran to an answer: it is not what stops the worker.
                interruptions: 0,
                interrupted_batch: 0,
                next_attempt_at: nextAt,
                error_code: o.code,
                error_message: redactString(o.message),
              })
              .where('id', '=', id)
              .execute();
            const tail = again
              ? ` Retry ${attempts + 1} of ${h.max_attempts} at ${new Date(nextAt!).toISOString()}.`
              : state === 'dead'
                ? ` No attempts left (${attempts} of ${h.max_attempts}).`
                : ' Not retried automatically (permanent failure).';
            outcomeStep('error', `Failed: ${o.code}: ${o.message}.${tail}`);
            break;
          }
          case 'paused': {
            back.push(id);
            answered.push(id);
            pause ??= { code: o.code, message: o.message };
            outcomeStep(
              'warn',
              `Subscription paused (${o.code}: ${o.message}); the transfer waits in the queue.`,
            );
            break;
          }
          default: {
            // A new kind of outcome must be handled above, never fall into a pause or a retry unseen.
            const unknown: never = o;
            throw new Error(`unknown transfer outcome ${JSON.stringify(unknown)}`);
          }
        }
      }
      for (const part of chunked(succeeded)) {
        await trx
          .updateTable('transfers')
          .set((eb) => ({ ...endedAs('succeeded', null, null, at), attempts: eb('attempts', '+', 1) }))
          .where('id', 'in', part)
          .execute();
      }
      for (const part of chunked(answered)) {
        await trx
          .updateTable('transfers')
          .set({ interruptions: 0, interrupted_batch: 0 })
          .where('id', 'in', part)
          .execute();
      }
      await requeue(trx, back, now, { expect: { states: ['running'], claimedBy: batch.workerId } });
      if (pause) await pauseIn(trx, batch.subscriptionId, pause.code, pause.message, at);
      for (const part of chunked(stepRows, 300))
        await trx.insertInto('transfer_steps').values(part).execute();
      return { recorded: held.length, discarded };
    });
  }

  /**
   * Returns running transfers to the queue: every one (when the only process using the store starts),
   * or those whose lease ran out (a worker that died). Retries that fell due go back as well.
   */
  async recover(options: { all?: boolean } = {}): Promise<number> {
    const now = this.now();
    return this.store.db.transaction().execute(async (trx) => {
      // Locked (and skipped when a worker is recording them right now) so that an outcome being
      // written and a recovery cannot both move the same row.
      let q = trx
        .selectFrom('transfers')
        .select(['id', 'interruptions', 'claimed_by'])
        .where('state', '=', 'running')
        .orderBy('id')
        .$if(this.store.kind === 'postgres', (q) => q.forUpdate().skipLocked());
      if (!options.all) q = q.where('lease_until', '<', now);
      const stale = await countInterruptions(trx, await q.execute(), now);
      const due = (
        await trx
          .selectFrom('transfers')
          .select('id')
          .where('state', '=', 'failed')
          .where('next_attempt_at', '<=', now)
          .execute()
      ).map((r) => Number(r.id));
      const back = [
        ...(await requeue(trx, stale, now, { expect: { states: ['running'] } })),
        ...(await requeue(trx, due, now, { expect: { states: ['failed'] } })),
      ];
      return back.length;
    });
  }
}

export async function pauseIn(
  db: Kysely<Database>,
  subscriptionId: string,
  code: string,
  message: string,
  at: string,
) {
  await db
    .insertInto('transfer_pauses')
    .values({ subscription_id: subscriptionId, code, message: redactString(message), paused_at: at })
    .onConflict((oc) => oc.column('subscription_id').doNothing())
    .execute();
}

export const BACKLOG_CAP = 10_000;

/**
 * How many of a lane's head rows to claim when interrupted transfers are among them (undefined: none
 * are, claim as usual). A batch interrupted once (a kill, a deploy) is most likely innocent and runs
 * again whole; interrupted again, it is halved, and each half runs as a batch, so a transfer that stops
 * the worker every time is found in about log2(batch) runs instead of one run per transfer. Interrupted
 * transfers are claimed only from the head and never mixed with fresh ones, which keeps the lane's
 * order and keeps fresh transfers out of the blame.
 */
export function suspectBatchSize(rows: { interruptions: number; interrupted_batch: number }[]) {
  const head = rows[0];
  if (!head) return undefined;
  const count = Number(head.interruptions);
  if (count === 0) return undefined;
  const size = Math.max(1, Number(head.interrupted_batch));
  const limit = count === 1 ? size : Math.ceil(size / 2);
  let n = 1;
  while (n < rows.length && n < limit && Number(rows[n]!.interruptions) > 0) n++;
  return n;
}

/**
 * Lanes with queued transfers that may run now — flow handled here, subscription not paused, no batch
 * of the lane running — best first: a lane whose head is a debug transfer, then by its oldest transfer.
 * Each lane's head is one index seek.
 */
async function readyLanes(db: Kysely<Database>, flows: string[]) {
  const head = (priority: number) =>
    sql<
      number | null
    >`(SELECT t.id FROM transfers t WHERE t.state = 'queued' AND t.subscription_id = l.subscription_id
      AND t.flow = l.flow AND t.priority = ${priority} ORDER BY t.id LIMIT 1)`;
  const rows = await db
    .selectFrom('transfer_lanes as l')
    .select(['l.subscription_id', 'l.flow', head(1).as('debug_head'), head(0).as('head')])
    .where('l.flow', 'in', flows)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('transfer_pauses as p')
            .select('p.subscription_id')
            .whereRef('p.subscription_id', '=', 'l.subscription_id'),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('transfers as r')
            .select('r.id')
            .where('r.state', '=', 'running')
            .whereRef('r.subscription_id', '=', 'l.subscription_id')
            .whereRef('r.flow', '=', 'l.flow'),
        ),
      ),
    )
    .execute();
  const rank = (r: { debug_head: number | null; head: number | null }) =>
    r.debug_head !== null ? [0, Number(r.debug_head)] : [1, Number(r.head)];
  return rows
    .filter((r) => r.debug_head !== null || r.head !== null)
    .sort((a, b) => {
      const [ka, ia] = rank(a);
      const [kb, ib] = rank(b);
      return ka - kb || ia - ib;
    });
}
