// The transfer engine put together: the queue, the worker pool, the flow registry, the log, links and
// watermarks, and the trigger that turns hub writes into transfers inside the write's transaction.
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { type HubScope, scopeOf } from '../domain/hub.ts';
import type { HubChange, HubStore } from '../hub/store.ts';
import type { Store } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { FROM_HUB_FLOW } from './flows.ts';
import { LinkRepository } from './links.ts';
import { DEFAULT_RETENTION_DAYS, TransferLog } from './log.ts';
import { EmbeddedTransferQueue, type QueuedTransfer } from './queue.ts';
import { FlowRegistry } from './registry.ts';
import type { FlowSettingsSource, NewTransfer } from './types.ts';
import { WatermarkRepository } from './watermarks.ts';
import { type PoolLogger, WorkerPool } from './worker.ts';

export interface TransferEngineOptions {
  store: Store;
  hub: HubStore;
  flowSettings: FlowSettingsSource;
  /** Epoch ms (tests pass a fake clock). */
  now?: () => number;
  concurrency?: number;
  leaseMs?: number;
  idleMs?: number;
  sweepMs?: number;
  retentionDays?: number;
  maxAttempts?: number;
  /**
   * True when no other process uses the store (the embedded SQLite default): every transfer found
   * running at start was left by a crash and goes straight back to the queue. With several processes
   * sharing PostgreSQL, only expired leases are taken back.
   */
  singleProcess?: boolean;
  log?: PoolLogger;
  /** The service's metrics registry (discarded stale outcomes are counted there). */
  metrics?: Registry;
}

const CLEANUP_EVERY_MS = 60 * 60_000;

export class TransferEngine {
  readonly queue: EmbeddedTransferQueue;
  readonly log: TransferLog;
  readonly registry = new FlowRegistry();
  readonly pool: WorkerPool;
  readonly links: LinkRepository;
  readonly watermarks: WatermarkRepository;
  private readonly options: TransferEngineOptions;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(options: TransferEngineOptions) {
    this.options = options;
    const now = options.now ?? Date.now;
    this.queue = new EmbeddedTransferQueue(options.store, { now, defaultMaxAttempts: options.maxAttempts });
    this.pool = new WorkerPool({
      store: options.store,
      queue: this.queue,
      registry: this.registry,
      concurrency: options.concurrency,
      leaseMs: options.leaseMs,
      idleMs: options.idleMs,
      sweepMs: options.sweepMs,
      log: options.log,
      onSweep: () => this.log.resumeReconnected(),
      metrics: options.metrics,
    });
    this.log = new TransferLog(options.store, { now, onRequeue: () => this.pool.nudge() });
    this.links = new LinkRepository(options.store.db);
    this.watermarks = new WatermarkRepository(options.store.db);
    options.hub.onChange((trx, changes) => this.onHubChanges(trx, changes));
  }

  /** Queues transfers inside the caller's transaction (they commit with it). */
  async enqueue(db: Kysely<Database>, transfers: NewTransfer[]): Promise<number> {
    const n = await this.queue.enqueue(db, transfers);
    if (n > 0) setImmediate(() => this.pool.nudge());
    return n;
  }

  /** enqueue(), answering the transfer that holds each record (new, or the waiting one it joined). */
  async enqueueReturning(db: Kysely<Database>, transfers: NewTransfer[]): Promise<QueuedTransfer[]> {
    const made = await this.queue.enqueueReturning(db, transfers);
    if (made.length > 0) setImmediate(() => this.pool.nudge());
    return made;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const singleProcess = this.options.singleProcess ?? this.options.store.kind === 'sqlite';
    await this.queue.recover({ all: singleProcess });
    this.pool.start();
    const cleanup = () =>
      this.log
        .cleanup(this.options.retentionDays ?? DEFAULT_RETENTION_DAYS)
        .catch((err) => this.options.log?.error({ err }, 'transfer log cleanup failed'));
    void cleanup();
    this.cleanupTimer = setInterval(cleanup, CLEANUP_EVERY_MS);
    this.cleanupTimer.unref();
  }

  async stop(graceMs?: number): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.cleanupTimer);
    await this.pool.stop(graceMs);
  }

  /** A hub write's transfers: one per changed record per subscription with the scope's flow on. */
  private async onHubChanges(trx: Kysely<Database>, changes: HubChange[]): Promise<void> {
    const subscribers = new Map<HubScope, string[]>();
    const transfers: NewTransfer[] = [];
    for (const c of changes) {
      if (c.change === 'deleted') continue; // deletes are not sent to Klaviyo (SPEC S5.1)
      const scope = scopeOf(c.kind, c.change);
      let subs = subscribers.get(scope);
      if (!subs) {
        subs = await this.options.flowSettings.subscriptionsWithScope(trx, scope);
        subscribers.set(scope, subs);
      }
      for (const subscriptionId of subs) {
        if (subscriptionId === c.originSubscriptionId) continue; // no echo back to the writer
        transfers.push({
          subscription_id: subscriptionId,
          flow: FROM_HUB_FLOW[c.kind],
          direction: 'from_hub',
          trigger: scope,
          record_kind: c.kind,
          record_id: c.id,
          record_version: c.version,
        });
      }
    }
    await this.enqueue(trx, transfers);
  }
}
