// Fencing for Klaviyo writes. A worker holds its batch under a lease; if it is frozen past the lease (a
// GC pause, a VM freeze, a partition), another worker may take the same records and send newer versions.
// The frozen worker must then not send its older ones. Klaviyo cannot check a fencing token, so the check
// happens here, right before each request leaves: the worker runs its batch inside a guard scope
// (AsyncLocalStorage, like exchange-steps.ts), and the client's `beforeSend` hook asks the guard.
// While the lease is comfortably valid by the service clock the check is a comparison; near or past
// its end the guard renews the claim in the store first, and a claim found lost stops the request.
// See docs/transfers.md (Leases and fencing).
import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from '../domain/errors.ts';

export interface ClaimGuardOptions {
  now: () => number;
  leaseMs: number;
  /** Local knowledge of the lease's end when the batch was claimed (service clock, epoch ms). */
  leaseUntil: number;
  /** Renews the claim in the store: true while every transfer of the batch is still held by it. */
  renew: () => Promise<boolean>;
  /** Called once, when the claim is found lost. */
  onLost?: () => void;
}

export class ClaimLostError extends AppError {
  constructor() {
    super(
      'TRANSFER_CLAIM_LOST',
      'This worker lost its claim on the batch (its lease ran out and the transfers were taken back); nothing more is sent for it.',
    );
  }
}

export class ClaimGuard {
  private readonly options: ClaimGuardOptions;
  private validUntil: number;
  private renewing: Promise<boolean> | undefined;
  private lostFlag = false;

  constructor(options: ClaimGuardOptions) {
    this.options = options;
    this.validUntil = options.leaseUntil;
  }

  get lost(): boolean {
    return this.lostFlag;
  }

  /** Renews now (the timer and check() both come here; one renewal at a time). */
  renew(): Promise<boolean> {
    if (this.lostFlag) return Promise.resolve(false);
    this.renewing ??= (async () => {
      // The lease is measured from before the renewal is sent: the store's lease ends later than this.
      const from = this.options.now();
      try {
        const held = await this.options.renew();
        if (held) this.validUntil = from + this.options.leaseMs;
        else this.markLost();
        return held;
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  /** Throws ClaimLostError unless the claim is known to hold for a while yet. */
  async check(): Promise<void> {
    if (this.lostFlag) throw new ClaimLostError();
    // Less than a third of the lease left (or none): confirm with the store before writing.
    if (this.options.now() < this.validUntil - this.options.leaseMs / 3) return;
    if (!(await this.renew())) throw new ClaimLostError();
  }

  markLost(): void {
    if (this.lostFlag) return;
    this.lostFlag = true;
    this.options.onLost?.();
  }
}

const scope = new AsyncLocalStorage<ClaimGuard>();

/** Runs `fn` so that every Klaviyo request it causes is checked against `guard` first. */
export function runUnderClaim<T>(guard: ClaimGuard, fn: () => Promise<T>): Promise<T> {
  return scope.run(guard, fn);
}

/**
 * For the Klaviyo client's `beforeSend`: inside a batch's scope, refuses the request once the batch's
 * claim is lost. Outside any scope (the profile poll, a connection test) it lets everything through.
 */
export async function checkClaim(): Promise<void> {
  await scope.getStore()?.check();
}
