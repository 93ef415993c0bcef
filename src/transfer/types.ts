// The transfer engine's public shapes: a transfer, what a flow answers for it, and the interfaces the
// flows (later issues) and the subscriptions area plug into.
import type { Kysely } from 'kysely';
import type { ErrorCode } from '../domain/errors.ts';
import type { HubScope } from '../domain/hub.ts';
import type { Database } from '../store/schema.ts';

export const TRANSFER_STATES = ['queued', 'running', 'succeeded', 'skipped', 'failed', 'dead'] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];

export type Direction = 'from_hub' | 'to_hub';

/** A transfer as the API answers it (SPEC S8.1), plus the fields a flow needs to run it. */
export interface Transfer {
  id: string;
  subscription_id: string;
  collection_id: string | null;
  flow: string;
  direction: Direction;
  record_id: string;
  state: TransferState;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  tracking_id: string;
  created_at: string;
  updated_at: string;
  // Beyond the S8.1 shape:
  trigger: string;
  record_kind: string;
  record_version: number | null;
  debug: boolean;
  max_attempts: number;
  next_attempt_at: string | null;
  payload: unknown;
}

/** The API shape of S8.1 exactly. */
export type TransferJson = Pick<
  Transfer,
  | 'id'
  | 'subscription_id'
  | 'collection_id'
  | 'flow'
  | 'direction'
  | 'record_id'
  | 'state'
  | 'attempts'
  | 'error_code'
  | 'error_message'
  | 'tracking_id'
  | 'created_at'
  | 'updated_at'
>;

export interface NewTransfer {
  subscription_id: string;
  flow: string;
  direction: Direction;
  trigger: string;
  record_kind: string;
  record_id: string;
  record_version?: number | null;
  collection_id?: string | null;
  /** Manual-sync debug runs go ahead of the queue, record every step, and are never merged. */
  debug?: boolean;
  /** false: never merged with a waiting transfer of the same record (each is an event of its own). */
  collapse?: boolean;
  payload?: unknown;
  max_attempts?: number;
}

export type Outcome =
  | { status: 'succeeded'; collection_id?: string }
  | { status: 'skipped'; reason: string; collection_id?: string }
  | {
      status: 'failed';
      code: ErrorCode | string;
      message: string;
      retryable: boolean;
      collection_id?: string;
      /**
       * The other side asked not to be called again for this long (an HTTP Retry-After): the retry is
       * scheduled no sooner than this, and no sooner than the usual schedule either.
       */
      retryAfterMs?: number;
    }
  /** The subscription cannot call Klaviyo (auth revoked, key rejected): pause it; the transfer waits. */
  | { status: 'paused'; code: ErrorCode | string; message: string };

export type StepKind = 'mapped' | 'request' | 'response' | 'outcome' | 'error' | 'warning' | 'note';

export interface StepInput {
  kind: StepKind;
  message: string;
  level?: 'info' | 'warn' | 'error' | 'debug';
  /** Any JSON; secrets are redacted before it is stored. */
  data?: unknown;
}

export interface FlowContext {
  subscriptionId: string;
  flow: string;
  /** Transfers of this lane still queued behind this batch, plus the batch: bulk calls pay off when large. */
  backlog: number;
  /** Aborted at shutdown: finish quickly or leave outcomes out (those transfers return to the queue). */
  signal: AbortSignal;
  /** Adds a step to a transfer's log (kept with the outcome, in the same transaction). */
  step(transferId: string, step: StepInput): void;
  /** The store, for flows that write (TO-hub flows write the hub with the transfer's subscription as origin). */
  db: Kysely<Database>;
}

export interface FlowHandler {
  flow: string;
  direction: Direction;
  /** The most transfers one call of handle() receives (default 100). */
  maxBatch?: number;
  handle(batch: Transfer[], ctx: FlowContext): Promise<Map<string, Outcome>>;
}

/** Which subscriptions have a scope's outbound data flow on (the subscriptions area provides the real one). */
export interface FlowSettingsSource {
  subscriptionsWithScope(db: Kysely<Database>, scope: HubScope): Promise<string[]>;
}

/** The queue behind the engine: the embedded one is a table served by the in-process worker pool. */
export interface TransferQueue {
  enqueue(db: Kysely<Database>, transfers: NewTransfer[]): Promise<number>;
  claim(workerId: string, limits: ClaimLimits): Promise<ClaimedBatch | null>;
  complete(
    batch: ClaimedBatch,
    outcomes: Map<string, Outcome>,
    steps: Map<string, StepInput[]>,
  ): Promise<CompleteResult>;
  /** Extends the claim's lease; false when the claim no longer holds every transfer of the batch. */
  renewLease(batch: ClaimedBatch, leaseMs: number): Promise<boolean>;
  /** Returns running transfers to the queue: all of them (embedded start), or those whose lease expired. */
  recover(options: { all?: boolean }): Promise<number>;
}

export interface ClaimLimits {
  leaseMs: number;
  /** Flows with a registered handler; transfers of other flows wait. */
  flows: string[];
  maxBatch: (flow: string) => number;
}

export interface ClaimedBatch {
  subscriptionId: string;
  flow: string;
  transfers: Transfer[];
  backlog: number;
  /** The claim's token (the worker and a claim number): what `claimed_by` holds while it runs. */
  workerId: string;
  /** When the claim's lease ends unless renewed (service clock, epoch ms). */
  leaseUntil?: number;
}

export interface CompleteResult {
  /** Transfers still held by the claim, whose outcomes were written. */
  recorded: number;
  /** Transfers the claim had lost (taken back after its lease ran out): their outcomes were dropped. */
  discarded: string[];
}
