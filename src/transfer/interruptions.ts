// Transfers whose worker stopped while running them (a crash, an expired lease). Without a bound, a
// transfer that crashes the process every time it runs would be handed out forever and hold its lane.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { MAX_INTERRUPTIONS } from './retry.ts';
import { chunked, endedAs } from './rows.ts';

/**
 * Counts an interruption on each transfer whose worker stopped while running it, and answers those that
 * may run again. One that reached MAX_INTERRUPTIONS is most likely what stops the worker (it crashes
 * the process, or hangs it past its lease), so it is set aside as `dead` instead of blocking its lane.
 */
export async function countInterruptions(
  trx: Kysely<Database>,
  stale: { id: number | string | bigint; interruptions: number }[],
  now: number,
): Promise<number[]> {
  const at = new Date(now).toISOString();
  const again: number[] = [];
  const steps: { transfer_id: number; at: string; kind: string; level: string; message: string }[] = [];
  const byCount = new Map<number, number[]>();
  for (const row of stale) {
    const id = Number(row.id);
    const count = Number(row.interruptions) + 1;
    const same = byCount.get(count);
    if (same) same.push(id);
    else byCount.set(count, [id]);
    if (count >= MAX_INTERRUPTIONS) {
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
        message: `The worker stopped while running it (${count} of ${MAX_INTERRUPTIONS} times before it is set aside); returned to the queue.`,
      });
    }
  }
  for (const [count, ids] of byCount) {
    for (const part of chunked(ids)) {
      const abandon = count >= MAX_INTERRUPTIONS;
      await trx
        .updateTable('transfers')
        .set({
          interruptions: count,
          ...(abandon ? endedAs('dead', 'TRANSFER_ABANDONED', abandonedMessage(count), at) : {}),
        })
        .where('id', 'in', part)
        .execute();
    }
  }
  for (const part of chunked(steps, 300)) await trx.insertInto('transfer_steps').values(part).execute();
  return again;
}

function abandonedMessage(count: number): string {
  return `The worker stopped while running this transfer ${count} times (a crash or an expired lease), so it was set aside to let its lane move on. Look for the cause in the service log around its runs, then retry it.`;
}
