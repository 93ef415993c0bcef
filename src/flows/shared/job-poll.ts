// How long to wait before reading a Klaviyo bulk job's status again (docs/flows.md, "Bulk jobs"). Every read
// spends the job tier's budget (10/s, 150/min, shared with the job creations), so the wait follows the job's
// own progress: once it reports completed rows, the next read is timed for when the rest should be done at
// the rate seen so far; before any progress, the wait doubles from `first`. Always within [first, max].
export interface JobPollTiming {
  first: number;
  max: number;
}

export interface JobProgress {
  /** Since the job was sent. */
  elapsedMs: number;
  /** Rows done (completed and failed). */
  done: number;
  total: number;
}

export const DEFAULT_JOB_POLL: JobPollTiming = { first: 250, max: 5000 };

export function nextJobPollDelay(timing: JobPollTiming, previousMs: number, progress?: JobProgress): number {
  const clamp = (ms: number) => Math.round(Math.min(timing.max, Math.max(timing.first, ms)));
  if (progress && progress.done > 0 && progress.total > progress.done && progress.elapsedMs > 0) {
    const remainingMs = ((progress.total - progress.done) * progress.elapsedMs) / progress.done;
    return clamp(remainingMs);
  }
  return clamp(previousMs <= 0 ? timing.first : previousMs * 2);
}

/** Reads Klaviyo's job progress attributes (total_count, completed_count, failed_count). */
export function progressOf(attributes: Record<string, unknown>, elapsedMs: number): JobProgress | undefined {
  const total = Number(attributes.total_count);
  const done = Number(attributes.completed_count ?? 0) + Number(attributes.failed_count ?? 0);
  if (!Number.isFinite(total) || total <= 0 || !Number.isFinite(done)) return undefined;
  return { elapsedMs, done, total };
}
