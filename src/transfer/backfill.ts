// A transfer marked as a backfill (a manual sync sent as history): its payload says so, and the flows send
// its events with `backfill: true` and its consent as a historical import (docs/flows.md, "History: backfill
// and historical consent"). Backfill transfers are never merged with a waiting transfer of the same record,
// so the mark can neither be lost to nor spread to a live change.
import type { Transfer } from './types.ts';

export interface BackfillPayload {
  backfill: true;
}

export const BACKFILL_PAYLOAD: BackfillPayload = { backfill: true };

export function isBackfillTransfer(transfer: Pick<Transfer, 'payload'>): boolean {
  const payload = transfer.payload as { backfill?: unknown } | null | undefined;
  return typeof payload === 'object' && payload !== null && payload.backfill === true;
}
