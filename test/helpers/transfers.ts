// Transfers written straight into the store, for tests that need a queue in a given state without running
// the flows that would produce it. A caller names the record and state; the rest is a fresh, unclaimed
// customer_to_profile transfer that it overrides only where its test is about.
import type { Insertable } from 'kysely';
import type { TransfersTable } from '../../src/store/tables/transfer.ts';

type TransferRow = Insertable<TransfersTable>;

/** A complete transfers row; `attempts` is 0 while queued and 1 otherwise, as after one run. */
export function transferRow(
  overrides: Partial<TransferRow> &
    Pick<TransferRow, 'subscription_id' | 'record_id' | 'state' | 'tracking_id'>,
): TransferRow {
  const now = new Date().toISOString();
  return {
    collection_id: null,
    flow: 'customer_to_profile',
    direction: 'from_hub',
    trigger: 'manual',
    record_kind: 'customer',
    record_version: 1,
    collapse_key: null,
    priority: 0,
    debug: 0,
    attempts: overrides.state === 'queued' ? 0 : 1,
    max_attempts: 10,
    next_attempt_at: null,
    lease_until: null,
    claimed_by: null,
    error_code: null,
    error_message: null,
    payload: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}
