// Progress for long CLI work (import, sync, demo): a live bar with counts, rate and ETA on a terminal;
// on a pipe or in CI, a plain line now and then, so logs stay readable and diffable.
import cliProgress from 'cli-progress';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  label: string;
  /** Unknown totals are fine: the bar then shows counts and rate only. */
  total?: number;
  unit?: string;
  stream?: ProgressStream;
  /** Force the mode; by default a terminal stream gets the bar. */
  tty?: boolean;
  now?: () => number;
  /** Line mode: the least time between two progress lines. */
  lineIntervalMs?: number;
}

export interface Progress {
  update(done: number, extra?: string): void;
  increment(by?: number, extra?: string): void;
  setTotal(total: number): void;
  /**
   * Ends the bar and prints a summary line: "label: 1,000 records in 3.2s (312/s)". `false` prints none
   * (the command prints its own summary, so there is one).
   */
  stop(summary?: string | false): void;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0/s';
  return perSecond >= 100
    ? `${Math.round(perSecond).toLocaleString('en-US')}/s`
    : `${perSecond.toFixed(1)}/s`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Rate over the whole run, and the time left at that rate. */
function estimate(done: number, total: number | undefined, elapsedMs: number) {
  // Under a quarter second the rate is noise (a first chunk read from a buffer looks like 200,000/s).
  const rate = elapsedMs >= 250 ? (done * 1000) / elapsedMs : 0;
  const etaMs = total !== undefined && rate > 0 ? ((total - done) / rate) * 1000 : Number.NaN;
  return { rate, etaMs: Math.max(0, etaMs) };
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const unit = options.unit ?? 'records';
  const tty = options.tty ?? stream.isTTY === true;
  const started = now();
  let total = options.total;
  let done = 0;
  let extra = '';
  let stopped = false;

  const summary = (text?: string) => {
    const elapsed = now() - started;
    const rate = elapsed > 0 ? (done * 1000) / elapsed : 0;
    // "1 record", not "1 records": the summary is the line people read.
    const noun = done === 1 && unit.endsWith('s') ? unit.slice(0, -1) : unit;
    return `${options.label}: ${count(done)} ${noun} in ${formatDuration(elapsed)} (${formatRate(rate)})${text ? `, ${text}` : ''}\n`;
  };

  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: `${options.label} [{bar}] {doneText}/{totalText} ${unit} | {rate} | ETA {etaText}{extra}`,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: true,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    const payload = () => {
      const { rate, etaMs } = estimate(done, total, now() - started);
      return {
        doneText: count(done),
        totalText: total === undefined ? '?' : count(total),
        rate: formatRate(rate),
        etaText: formatDuration(etaMs),
        extra: extra ? ` | ${extra}` : '',
      };
    };
    // An unknown total still needs a positive one for the bar; it is shown as '?'.
    bar.start(total ?? Math.max(1, done), 0, payload());
    return {
      update(value, text) {
        if (stopped) return;
        done = value;
        if (text !== undefined) extra = text;
        if (total === undefined) bar.setTotal(Math.max(1, done));
        bar.update(done, payload());
      },
      increment(by = 1, text) {
        this.update(done + by, text);
      },
      setTotal(value) {
        total = value;
        bar.setTotal(value);
        bar.update(done, payload());
      },
      stop(text) {
        if (stopped) return;
        stopped = true;
        bar.stop();
        if (text !== false) stream.write(summary(text));
      },
    };
  }

  const interval = options.lineIntervalMs ?? 2000;
  let lastLine = Number.NEGATIVE_INFINITY;
  let lastDone = Number.NaN;
  let completeShown = false;
  // A stalled count is repeated only this often, so a long wait shows it is alive without flooding logs.
  const heartbeat = Math.max(interval, 30_000);
  const line = () => {
    const { rate, etaMs } = estimate(done, total, now() - started);
    const counts =
      total === undefined
        ? `${count(done)} ${unit}`
        : `${count(done)}/${count(total)} ${unit} (${total > 0 ? Math.floor((done * 100) / total) : 100}%)`;
    // These lines stay in logs: a rate not measured yet is left out rather than written as "0/s, ETA ?",
    // and a finished count needs no ETA.
    const eta = total === undefined || done >= total ? '' : `, ETA ${formatDuration(etaMs)}`;
    const speed = rate > 0 ? `, ${formatRate(rate)}${eta}` : '';
    stream.write(`${options.label}: ${counts}${speed}${extra ? `, ${extra}` : ''}\n`);
  };
  return {
    update(value, text) {
      if (stopped) return;
      done = value;
      if (text !== undefined) extra = text;
      const t = now();
      // The first update and the one reaching the total always print; the ones between at most once an
      // interval.
      const complete = total !== undefined && done >= total;
      const due = t - lastLine >= (done === lastDone ? heartbeat : interval);
      if (due || (complete && !completeShown)) {
        lastLine = t;
        lastDone = done;
        completeShown ||= complete;
        line();
      }
    },
    increment(by = 1, text) {
      this.update(done + by, text);
    },
    setTotal(value) {
      total = value;
    },
    stop(text) {
      if (stopped) return;
      stopped = true;
      if (text !== false) stream.write(summary(text));
    },
  };
}
