// The in-process worker pool: each worker claims a batch of one lane, hands it to the lane's flow
// handler, and records the outcomes. Idle workers sleep until nudged (a new transfer) or a short timer.
// Stopping is graceful: no new claims, in-flight batches finish (or, after a grace period, are told to
// stop and whatever has no outcome goes back to the queue).
import { randomUUID } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { AppError, SUBSCRIPTION_PAUSING_CODES } from '../domain/errors.ts';
import type { Store } from '../store/db.ts';
import { ClaimGuard, ClaimLostError, runUnderClaim } from './claim-guard.ts';
import type { EmbeddedTransferQueue } from './queue.ts';
import type { FlowRegistry } from './registry.ts';
import { recordingExchanges } from './exchange-steps.ts';
import type { ClaimedBatch, FlowContext, FlowHandler, Outcome, StepInput } from './types.ts';

export interface PoolLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WorkerPoolOptions {
  store: Store;
  queue: EmbeddedTransferQueue;
  registry: FlowRegistry;
  concurrency?: number;
  /** How long a claim holds its transfers before another worker may take them (renewed while running). */
  leaseMs?: number;
  idleMs?: number;
  /** How often expired leases and due retries go back to the queue. */
  sweepMs?: number;
  log?: PoolLogger;
  /** Extra work each sweep (the engine lifts auth pauses of reconnected subscriptions). */
  onSweep?: () => Promise<unknown>;
  /** Where the pool's metrics go (the service's /metrics registry). */
  metrics?: Registry;
}

const silent: PoolLogger = { info() {}, warn() {}, error() {} };

export class WorkerPool {
  readonly id = randomUUID();
  private readonly options: Required<Omit<WorkerPoolOptions, 'log' | 'onSweep' | 'metrics'>> &
    Pick<WorkerPoolOptions, 'onSweep'> & { log: PoolLogger };
  private readonly discarded: Counter<'flow'> | undefined;
  private running = false;
  private loops: Promise<void>[] = [];
  private wakers = new Set<() => void>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private inFlight = 0;

  constructor(options: WorkerPoolOptions) {
    this.options = {
      ...options,
      concurrency: options.concurrency ?? 4,
      leaseMs: options.leaseMs ?? 120_000,
      idleMs: options.idleMs ?? 250,
      sweepMs: options.sweepMs ?? 5_000,
      log: options.log ?? silent,
    };
    this.discarded = options.metrics ? discardedCounter(options.metrics) : undefined;
  }

  get busy(): number {
    return this.inFlight;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop(`${this.id}#${i}`));
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepMs);
    this.sweepTimer.unref();
  }

  /** Wakes idle workers: something was queued. */
  nudge(): void {
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  /** Expired leases and due retries back to the queue. */
  async sweep(): Promise<number> {
    try {
      await this.options.onSweep?.();
      const n = await this.options.queue.recover({});
      if (n > 0) this.nudge();
      return n;
    } catch (err) {
      this.options.log.error({ err }, 'transfer sweep failed');
      return 0;
    }
  }

  /** Stops claiming; waits for in-flight batches, asking them to stop after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.sweepTimer);
    this.nudge();
    const all = Promise.all(this.loops);
    const timer = setTimeout(() => this.abort.abort(), graceMs);
    await all;
    clearTimeout(timer);
    this.loops = [];
  }

  /** Claims and runs one batch; false when nothing was ready. Tests drive the engine with it. */
  async runOnce(workerId = `${this.id}#manual`): Promise<boolean> {
    const { queue, registry, leaseMs } = this.options;
    let batch: ClaimedBatch | null = null;
    try {
      batch = await queue.claim(workerId, {
        leaseMs,
        flows: registry.flows(),
        maxBatch: (f) => registry.maxBatch(f),
      });
    } catch (err) {
      this.options.log.error({ err }, 'claiming transfers failed');
    }
    if (!batch) return false;
    this.inFlight++;
    try {
      await this.run(batch);
    } finally {
      this.inFlight--;
    }
    return true;
  }

  /** Runs batches until none is ready (tests; the CLI's one-shot runs). */
  async drain(): Promise<number> {
    let batches = 0;
    while (await this.runOnce()) batches++;
    return batches;
  }

  private async loop(workerId: string): Promise<void> {
    while (this.running) {
      if (!(await this.runOnce(workerId))) await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.idleMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.add(done);
    });
  }

  private async run(batch: ClaimedBatch): Promise<void> {
    const { queue, registry, leaseMs, store } = this.options;
    const handler = registry.get(batch.flow)!;
    const steps = new Map<string, StepInput[]>();
    // Aborted at shutdown, or when this batch's claim is found lost (then nothing more may be written).
    const claimLost = new AbortController();
    const guard = new ClaimGuard({
      now: queue.now,
      leaseMs,
      leaseUntil: batch.leaseUntil ?? queue.now() + leaseMs,
      renew: () => queue.renewLease(batch, leaseMs),
      onLost: () => {
        this.options.log.warn(
          { flow: batch.flow, subscription: batch.subscriptionId, claim: batch.workerId },
          'transfer claim lost: its lease ran out and the transfers were taken back; the batch stops writing',
        );
        claimLost.abort(new ClaimLostError());
      },
    });
    const ctx: FlowContext = {
      subscriptionId: batch.subscriptionId,
      flow: batch.flow,
      backlog: batch.backlog,
      signal: AbortSignal.any([this.abort.signal, claimLost.signal]),
      db: store.db,
      step(transferId, step) {
        const list = steps.get(transferId);
        if (list) list.push(step);
        else steps.set(transferId, [step]);
      },
    };
    const renew = setInterval(
      () => {
        guard.renew().catch((err) => this.options.log.warn({ err }, 'lease renewal failed'));
      },
      Math.max(1000, Math.floor(leaseMs / 3)),
    );
    renew.unref();
    const outcomes = new Map<string, Outcome>();
    try {
      await runUnderClaim(guard, async () => {
        // Debug transfers go one at a time, by single calls, each in a scope that logs its Klaviyo
        // requests; the rest of the batch (claimed behind them) goes together as usual.
        for (const transfer of batch.transfers) {
          if (!transfer.debug) continue;
          if (ctx.signal.aborted) break; // no outcome: it returns to the queue
          const one = { ...batch, transfers: [transfer], backlog: 1 };
          const answered = await recordingExchanges(
            (step) => ctx.step(transfer.id, step),
            () => this.handleSafely(handler, one, { ...ctx, backlog: 1 }),
          );
          for (const [id, outcome] of answered) outcomes.set(id, outcome);
        }
        const rest = batch.transfers.filter((t) => !t.debug);
        if (rest.length > 0 && !ctx.signal.aborted) {
          const backlog = batch.backlog - (batch.transfers.length - rest.length);
          const answered = await this.handleSafely(handler, { ...batch, transfers: rest, backlog }, ctx);
          for (const [id, outcome] of answered) outcomes.set(id, outcome);
        }
      });
    } finally {
      clearInterval(renew);
    }
    try {
      const { discarded } = await queue.complete(batch, outcomes, steps);
      if (discarded.length > 0) this.discard(batch, discarded, outcomes);
    } catch (err) {
      // The claim's lease runs out and the sweep returns these transfers to the queue.
      this.options.log.error({ err, flow: batch.flow }, 'recording transfer outcomes failed');
    }
  }

  /** Outcomes of transfers this claim had lost: dropped, but never silently. */
  private discard(batch: ClaimedBatch, ids: string[], outcomes: Map<string, Outcome>): void {
    this.discarded?.inc({ flow: batch.flow }, ids.length);
    const kinds: Record<string, number> = {};
    for (const id of ids) {
      const status = outcomes.get(id)?.status ?? 'none';
      kinds[status] = (kinds[status] ?? 0) + 1;
    }
    this.options.log.warn(
      {
        flow: batch.flow,
        subscription: batch.subscriptionId,
        claim: batch.workerId,
        transfers: ids.slice(0, 50),
        discarded: ids.length,
        outcomes: kinds,
      },
      'stale transfer outcomes discarded: the claim was lost before they were recorded (another worker took the transfers)',
    );
  }

  private async handleSafely(
    handler: FlowHandler,
    batch: ClaimedBatch,
    ctx: FlowContext,
  ): Promise<Map<string, Outcome>> {
    try {
      return await handler.handle(batch.transfers, ctx);
    } catch (err) {
      this.options.log.warn(
        { err, flow: batch.flow, subscription: batch.subscriptionId },
        'flow handler threw',
      );
      return outcomesForThrow(batch, err);
    }
  }
}

/** A handler that throws answers for the whole batch: auth errors pause, anything else is retried. */
function outcomesForThrow(batch: ClaimedBatch, err: unknown): Map<string, Outcome> {
  const code = err instanceof AppError ? err.code : 'INTERNAL_ERROR';
  const message = err instanceof Error ? err.message : String(err);
  const outcome: Outcome = SUBSCRIPTION_PAUSING_CODES.has(code)
    ? { status: 'paused', code, message }
    : { status: 'failed', code, message: `The flow stopped with an error: ${message}`, retryable: true };
  return new Map(batch.transfers.map((t) => [t.id, outcome]));
}

function discardedCounter(registry: Registry): Counter<'flow'> {
  const name = 'klaviyo_sync_transfer_outcomes_discarded_total';
  return (
    (registry.getSingleMetric(name) as Counter<'flow'> | undefined) ??
    new Counter({
      name,
      help: 'Transfer outcomes dropped because the worker had lost its claim (lease expired, taken back)',
      labelNames: ['flow'],
      registers: [registry],
    })
  );
}
