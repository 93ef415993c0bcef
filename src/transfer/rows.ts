// Conversions between transfer rows and the shapes the engine and the API use, and the requeue rule
// shared by retries, recovery and pauses.
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { TransfersTable } from '../store/tables/transfer.ts';
import type { Direction, Transfer, TransferJson, TransferState } from './types.ts';

export type TransferRow = Selectable<TransfersTable>;

export function toTransfer(row: TransferRow): Transfer {
  return {
    id: String(row.id),
    subscription_id: row.subscription_id,
    collection_id: row.collection_id,
    flow: row.flow,
    direction: row.direction as Direction,
    record_id: row.record_id,
    state: row.state as TransferState,
    attempts: row.attempts,
    error_code: row.error_code,
    error_message: row.error_message,
    tracking_id: row.tracking_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    trigger: row.trigger,
    record_kind: row.record_kind,
    record_version: row.record_version === null ? null : Number(row.record_version),
    debug: row.debug === 1,
    max_attempts: row.max_attempts,
    next_attempt_at:
      row.next_attempt_at === null ? null : new Date(Number(row.next_attempt_at)).toISOString(),
    payload: row.payload === null ? null : JSON.parse(row.payload),
  };
}

export function toTransferJson(t: Transfer): TransferJson {
  return {
    id: t.id,
    subscription_id: t.subscription_id,
    collection_id: t.collection_id,
    flow: t.flow,
    direction: t.direction,
    record_id: t.record_id,
    state: t.state,
    attempts: t.attempts,
    error_code: t.error_code,
    error_message: t.error_message,
    tracking_id: t.tracking_id,
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}

export function chunked<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Columns of a transfer that will not run again: its end state and message, no claim, no next attempt. */
export function endedAs(
  state: TransferState,
  errorCode: string | null,
  errorMessage: string | null,
  at: string,
) {
  return {
    state,
    error_code: errorCode,
    error_message: errorMessage,
    next_attempt_at: null,
    lease_until: null,
    claimed_by: null,
    updated_at: at,
  };
}

export interface RequeueOptions {
  resetAttempts?: boolean;
  /** The states the rows must still be in (and the claim that must still hold them) to be moved. */
  expect: { states: TransferState[]; claimedBy?: string };
}

export const SUPERSEDED = 'Superseded by a newer queued transfer of the same record.';

/**
 * Puts transfers back in the queue (keeping their place: the queue is ordered by id). At most one
 * transfer per record and flow may wait in the queue, so where a newer one already waits, or several of
 * the given ones are the same record, only one goes back and the others are skipped as superseded.
 * Returns the ids that went back.
 */
export async function requeue(
  db: Kysely<Database>,
  ids: number[],
  now: number,
  extra: RequeueOptions,
): Promise<number[]> {
  if (ids.length === 0) return [];
  const { states, claimedBy } = extra.expect;
  // Only rows still in the expected state (and, for a worker's batch, still held by its claim) move:
  // a transfer taken back and claimed again in between belongs to its new holder.
  const expected =
    claimedBy === undefined
      ? sql<boolean>`state IN (${sql.join(states)})`
      : sql<boolean>`state IN (${sql.join(states)}) AND claimed_by = ${claimedBy}`;
  const rows: { id: number; subscription_id: string; collapse_key: string | null }[] = [];
  for (const part of chunked(ids)) {
    rows.push(
      ...(await db
        .selectFrom('transfers')
        .select(['id', 'subscription_id', 'collapse_key'])
        .where('id', 'in', part)
        .where(expected)
        .execute()),
    );
  }
  const keyed = rows.filter((r) => r.collapse_key !== null);
  const waiting = new Set<string>();
  for (const part of chunked([...new Set(keyed.map((r) => r.collapse_key!))])) {
    const q = await db
      .selectFrom('transfers')
      .select(['subscription_id', 'collapse_key'])
      .where('state', '=', 'queued')
      .where('collapse_key', 'in', part)
      .execute();
    for (const r of q) waiting.add(`${r.subscription_id}\u0000${r.collapse_key}`);
  }
  const superseded: number[] = [];
  const back: number[] = [];
  // Newest first, so among several of one record the newest goes back.
  for (const r of [...rows].sort((a, b) => Number(b.id) - Number(a.id))) {
    if (r.collapse_key === null) {
      back.push(Number(r.id));
      continue;
    }
    const key = `${r.subscription_id}\u0000${r.collapse_key}`;
    if (waiting.has(key)) superseded.push(Number(r.id));
    else {
      waiting.add(key);
      back.push(Number(r.id));
    }
  }
  const at = new Date(now).toISOString();
  for (const part of chunked(superseded)) {
    await db
      .updateTable('transfers')
      .set(endedAs('skipped', null, SUPERSEDED, at))
      .where('id', 'in', part)
      .where(expected)
      .execute();
  }
  for (const part of chunked(back)) {
    await db
      .updateTable('transfers')
      .set({
        state: 'queued',
        next_attempt_at: now,
        lease_until: null,
        claimed_by: null,
        updated_at: at,
        ...(extra.resetAttempts ? { attempts: 0, interruptions: 0 } : {}),
      })
      .where('id', 'in', part)
      .where(expected)
      .execute();
  }
  return back;
}
