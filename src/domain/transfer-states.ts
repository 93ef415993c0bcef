// The states a transfer goes through (docs/transfers.md), in their display order, written once for the
// engine, the API, the CLI, the demo and the console. A transfer is finished in any state but queued and
// running: nothing more happens to it unless it is retried or replayed.

export const TRANSFER_STATES = ['queued', 'running', 'succeeded', 'skipped', 'failed', 'dead'] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];

/** The states that end a run: the outcome is known (a failed transfer may still have a retry scheduled). */
export const FINISHED_TRANSFER_STATES: readonly TransferState[] = ['succeeded', 'skipped', 'failed', 'dead'];

export function isFinishedState(state: string): boolean {
  return (FINISHED_TRANSFER_STATES as readonly string[]).includes(state);
}

/** A count per state, every state present (0 when none). */
export function emptyStateCounts(): Record<TransferState, number> {
  return Object.fromEntries(TRANSFER_STATES.map((state) => [state, 0])) as Record<TransferState, number>;
}
