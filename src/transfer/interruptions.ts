// Transfers whose worker stopped while running them (a crash, an expired lease). Without a bound, a
// transfer that crashes the process every time it runs would be handed out forever and hold its lane.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { MAX_INTERRUPTIONS } from './retry.ts';
import { chunked, endedAs } from './rows.ts';

/**
 * Counts an interruption on each transfer whose worker stopped while running it, remembers the size of
 * the batch it was in (the queue halves it next time, see suspectBatchSize), and answers those that may
 * run again. One that stopped the worker while running alone, after MAX_INTERRUPTIONS interruptions or
 * more, is most likely what stops it (it crashes the process, or hangs it past its lease), so it is set
 * aside as `dead` instead of blocking its lane.
 */
export async function countInterruptions(
  trx: Kysely<Database>,
  stale: { id: number | string | bigint; interruptions: number; claimed_by: string | null }[],
  now: number,
): Promise<number[]> {
  const at = new Date(now).toISOString();
  const again: number[] = [];
  const steps: { transfer_id: number; at: string; kind: string; level: string; message: string }[] = [];
  const batchSize = new Map<string, number>();
  for (const row of stale)
    batchSize.set(row.claimed_by ?? '', (batchSize.get(row.claimed_by ?? '') ?? 0) + 1);
  const byCount = new Map<string, { count: number; size: number; ids: number[] }>();
  for (const row of stale) {
    const id = Number(row.id);
    const count = Number(row.interruptions) + 1;
    const size = batchSize.get(row.claimed_by ?? '') ?? 1;
    const key = `${count}:${size}`;
    const same = byCount.get(key);
    if (same) same.ids.push(id);
    else byCount.set(key, { count, size, ids: [id] });
    if (abandons(count, size)) {
      steps.push({
        transfer_id: id,
        at,
        kind: 'outcome',
        level: 'error',
        message: `Failed: TRANSFER_ABANDONED: ${abandonedMessage(count)}`,
      });
    } else {
      again.push(id);
      steps.push({
        transfer_id: id,
        at,
        kind: 'outcome',
        level: 'warn',
        message: `The worker stopped while running it (${count} ${count === 1 ? 'time' : 'times'}, in a batch of ${size}); returned to the queue${size > 1 ? (count === 1 ? ' to run again with its batch' : ' to run in half that batch') : ''}.`,
      });
    }
  }
  for (const { count, size, ids } of byCount.values()) {
    for (const part of chunked(ids)) {
      const abandon = abandons(count, size);
      await trx
        .updateTable('transfers')
        .set({
          interruptions: count,
          interrupted_batch: size,
          ...(abandon ? endedAs('dead', 'TRANSFER_ABANDONED', abandonedMessage(count), at) : {}),
        })
        .where('id', 'in', part)
        .execute();
    }
  }
  for (const part of chunked(steps, 300)) await trx.insertInto('transfer_steps').values(part).execute();
  return again;
}

/** Set aside only once it stopped the worker while running alone: then nothing else can be blamed. */
function abandons(count: number, batchSize: number): boolean {
  return batchSize === 1 && count >= MAX_INTERRUPTIONS;
}

function abandonedMessage(count: number): string {
  return `The worker stopped while running this transfer ${count} times (a crash or an expired lease), the last time alone in its batch, so it was set aside to let its lane move on. Look for the cause in the service log around its runs, then retry it.`;
}
