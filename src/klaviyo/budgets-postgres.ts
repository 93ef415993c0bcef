import type pg from 'pg';
import {
  type BucketUsage,
  type BudgetWindow,
  type RateBudgetStore,
  type ServerRateReport,
  SlidingWindowLog,
} from './budgets.ts';

export interface PostgresRateBudgetStoreOptions {
  pool: pg.Pool;
  /** A table shaped as the service's migration 0003 makes it (bucket, grants, booked, steady_limit, blocked_until). */
  table: string;
  /** Schema of the table; unset = the connection's search_path. */
  schema?: string;
}

/** One bucket's state as the table holds it; every time is epoch ms on the callers' clocks. */
interface BucketRow {
  /** Grants of this bucket, oldest first; every window counts them. */
  grants: number[];
  /** Spends by others learned from RateLimit-Remaining, oldest first; only the steady window counts them. */
  booked: number[];
  steadyLimit: number | null;
  blockedUntil: number;
}

const EMPTY_ROW: BucketRow = { grants: [], booked: [], steadyLimit: null, blockedUntil: 0 };

/**
 * Entries are kept a little past their window: processes' clocks differ by a few ms, and one a bit ahead must
 * not prune a grant another still counts. Counting itself uses the exact windows.
 */
const PRUNE_SLACK_MS = 1000;

/**
 * Budgets shared by every process on one PostgreSQL database, with the sliding-window semantics of
 * MemoryRateBudgetStore: at most `limit` grants start in any window of that length, across all processes.
 * A bucket is one row; a take locks it (SELECT … FOR UPDATE), decides on its grant log, and appends to it in
 * the same short transaction, so concurrent takes from any number of pools serialize per bucket and never
 * over-grant. Times come from the callers (`nowMs`), so processes need clocks in step (NTP); the client's
 * ~50 ms window margin absorbs ordinary skew.
 */
export class PostgresRateBudgetStore implements RateBudgetStore {
  private readonly pool: pg.Pool;
  private readonly table: string;

  constructor(options: PostgresRateBudgetStoreOptions) {
    this.pool = options.pool;
    this.table = options.schema
      ? `${quoteIdent(options.schema)}.${quoteIdent(options.table)}`
      : quoteIdent(options.table);
  }

  async take(bucket: string, windows: readonly BudgetWindow[], nowMs: number): Promise<number> {
    return this.locked(bucket, async (row, client) => {
      if (row.blockedUntil > nowMs) return row.blockedUntil - nowMs;
      let wait = 0;
      for (const w of windows)
        wait = Math.max(wait, logOf(row, w, nowMs).waitFor(nowMs, w.windowMs, limitOf(row, w)));
      if (wait > 0) return wait;
      const keepMs = Math.max(0, ...windows.map((w) => w.windowMs)) + PRUNE_SLACK_MS;
      const steadyKeepMs = (steadyOf(windows)?.windowMs ?? 0) + PRUNE_SLACK_MS;
      await client.query(
        `UPDATE ${this.table} SET grants = $2::bigint[], booked = $3::bigint[] WHERE bucket = $1`,
        [
          bucket,
          insertSorted(prune(row.grants, nowMs, keepMs), nowMs),
          prune(row.booked, nowMs, steadyKeepMs),
        ],
      );
      return 0;
    });
  }

  async block(bucket: string, untilMs: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} AS t (bucket, blocked_until) VALUES ($1, $2)
       ON CONFLICT (bucket) DO UPDATE SET blocked_until = GREATEST(t.blocked_until, EXCLUDED.blocked_until)`,
      [bucket, untilMs],
    );
  }

  async observe(
    bucket: string,
    windows: readonly BudgetWindow[],
    report: ServerRateReport,
    nowMs: number,
  ): Promise<void> {
    const steady = steadyOf(windows);
    if (!steady) return;
    // Called after every success: a plain read settles the usual case (nothing to fold in) without a lock.
    const seen = await this.read(bucket);
    if (!folds(seen, steady, report, nowMs)) return;
    await this.locked(bucket, async (row, client) => {
      const change = folds(row, steady, report, nowMs);
      if (!change) return;
      const booked = prune(row.booked, nowMs, steady.windowMs + PRUNE_SLACK_MS);
      for (let i = 0; i < change.missing; i++) booked.push(change.bookedAt);
      booked.sort((a, b) => a - b);
      await client.query(
        `UPDATE ${this.table} SET booked = $2::bigint[], steady_limit = $3 WHERE bucket = $1`,
        [bucket, booked, change.steadyLimit],
      );
    });
  }

  async usage(bucket: string, windows: readonly BudgetWindow[], nowMs: number): Promise<BucketUsage> {
    const row = await this.read(bucket);
    return {
      windows: windows.map((w) => ({
        name: w.name,
        used: logOf(row, w, nowMs).count(nowMs, w.windowMs),
        limit: limitOf(row, w),
      })),
      blockedUntil: row.blockedUntil > nowMs ? row.blockedUntil : 0,
    };
  }

  private async read(bucket: string): Promise<BucketRow> {
    const result = await this.pool.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE bucket = $1`, [bucket]);
    return result.rows[0] ? toRow(result.rows[0]) : EMPTY_ROW;
  }

  /** Runs `work` on the bucket's row, locked against every other process until the transaction ends. */
  private async locked<T>(
    bucket: string,
    work: (row: BucketRow, client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const select = `SELECT ${COLUMNS} FROM ${this.table} WHERE bucket = $1 FOR UPDATE`;
      let result = await client.query(select, [bucket]);
      if (!result.rows[0]) {
        // First use of the bucket: make its row (racing processes agree on one), then lock it.
        await client.query(`INSERT INTO ${this.table} (bucket) VALUES ($1) ON CONFLICT (bucket) DO NOTHING`, [
          bucket,
        ]);
        result = await client.query(select, [bucket]);
      }
      const answer = await work(toRow(result.rows[0]), client);
      await client.query('COMMIT');
      return answer;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: the pool drops it rather than reuse it.
      client.release(broken);
    }
  }
}

const COLUMNS = 'grants, booked, steady_limit, blocked_until';

function toRow(raw: Record<string, unknown>): BucketRow {
  return {
    grants: ((raw.grants as unknown[]) ?? []).map(Number),
    booked: ((raw.booked as unknown[]) ?? []).map(Number),
    steadyLimit:
      raw.steady_limit === null || raw.steady_limit === undefined ? null : Number(raw.steady_limit),
    blockedUntil: Number(raw.blocked_until ?? 0),
  };
}

function steadyOf(windows: readonly BudgetWindow[]): BudgetWindow | undefined {
  return windows.find((w) => w.name === 'steady');
}

function limitOf(row: BucketRow, w: BudgetWindow): number {
  return w.name === 'steady' && row.steadyLimit !== null ? Math.min(w.limit, row.steadyLimit) : w.limit;
}

/** The window's log as MemoryRateBudgetStore would hold it, so both stores decide with the same arithmetic. */
function logOf(row: BucketRow, w: BudgetWindow, nowMs: number): SlidingWindowLog {
  const log = new SlidingWindowLog();
  const live = (t: number) => t + w.windowMs > nowMs;
  for (const t of row.grants) if (live(t)) log.add(t);
  if (w.name === 'steady') for (const t of row.booked) if (live(t)) log.add(t);
  return log;
}

/**
 * What a server report changes, or undefined when nothing: a lower RateLimit-Limit than the table's, and
 * spends the server counts but we do not (other tools on the same quota), dated to free at the server's reset.
 */
function folds(
  row: BucketRow,
  steady: BudgetWindow,
  report: ServerRateReport,
  nowMs: number,
): { steadyLimit: number | null; missing: number; bookedAt: number } | undefined {
  const steadyLimit =
    report.limit !== undefined && report.limit > 0 && report.limit < steady.limit
      ? report.limit
      : row.steadyLimit;
  let missing = 0;
  if (report.remaining !== undefined) {
    const limit = limitOf({ ...row, steadyLimit }, steady);
    const ourRemaining = limit - logOf(row, steady, nowMs).count(nowMs, steady.windowMs);
    missing = Math.max(0, Math.min(limit, ourRemaining - report.remaining));
  }
  if (missing === 0 && steadyLimit === row.steadyLimit) return undefined;
  const expiresAt = nowMs + Math.min(report.resetMs ?? steady.windowMs, steady.windowMs);
  return { steadyLimit, missing, bookedAt: expiresAt - steady.windowMs };
}

function prune(times: readonly number[], nowMs: number, keepMs: number): number[] {
  return times.filter((t) => t + keepMs > nowMs);
}

/** Processes' grants need not arrive in time order; the log stays sorted for the window arithmetic. */
function insertSorted(times: number[], atMs: number): number[] {
  let i = times.length;
  while (i > 0 && times[i - 1] > atMs) i--;
  times.splice(i, 0, atMs);
  return times;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
