// In-memory state of the sandbox: accounts with their profiles, lists, events, metrics, catalog and jobs,
// plus the OAuth apps, installs and tokens. Profiles are the bulk of the memory (a benchmark holds a million),
// so they are small fixed-shape objects with timestamps as numbers and optional parts left undefined.
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

let ulidCounter = 0;
/** A 26-character ULID-like id, unique within the process and ordered by creation (like Klaviyo profile ids). */
export function ulid(now: number): string {
  let out = '';
  let time = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[time % 32] + out;
    time = Math.floor(time / 32);
  }
  // The counter comes before the random part so ids sort in creation order, as cursors over `sort=id` expect.
  let counter = ulidCounter++;
  let middle = '';
  for (let i = 0; i < 8; i++) {
    middle = CROCKFORD[counter % 32] + middle;
    counter = Math.floor(counter / 32);
  }
  const rand = randomBytes(8);
  let tail = '';
  for (let i = 0; i < 8; i++) tail += CROCKFORD[rand[i] % 32];
  return out + middle + tail;
}

/** A short random id like Klaviyo's list, metric and account ids (`Y6nRLr`). */
export function shortId(length = 6): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[bytes[i] % ALNUM.length];
  return out;
}

export function secret(prefix: string, bytes = 24): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

export type Consent = 'SUBSCRIBED' | 'UNSUBSCRIBED' | 'NEVER_SUBSCRIBED';

export interface ChannelConsent {
  consent: Consent;
  timestamp: number;
  method: string;
  /** subscribed by a job with `historical_import: true` (no double opt-in, no "added to list" flows) */
  historicalImport?: boolean;
  /** the `consented_at` a historical import gave (ms) */
  consentedAt?: number;
}

export interface ProfileConsents {
  emailMarketing?: ChannelConsent;
  smsMarketing?: ChannelConsent;
  smsTransactional?: ChannelConsent;
}

export class Profile {
  id: string;
  email: string | undefined = undefined;
  phone_number: string | undefined = undefined;
  external_id: string | undefined = undefined;
  first_name: string | undefined = undefined;
  last_name: string | undefined = undefined;
  organization: string | undefined = undefined;
  locale: string | undefined = undefined;
  title: string | undefined = undefined;
  image: string | undefined = undefined;
  location: Record<string, unknown> | undefined = undefined;
  properties: Record<string, unknown> | undefined = undefined;
  consents: ProfileConsents | undefined = undefined;
  created: number;
  updated: number;
  lastEventDate = 0;
  constructor(id: string, now: number) {
    this.id = id;
    this.created = now;
    this.updated = now;
  }
}

export type Identifier = 'email' | 'phone_number' | 'external_id';
export const IDENTIFIERS: Identifier[] = ['email', 'phone_number', 'external_id'];

/** Profiles of one account with their identifier indexes. `order` keeps creation order for cursors. */
export class ProfileStore {
  readonly byId = new Map<string, Profile>();
  readonly byEmail = new Map<string, Profile>();
  readonly byPhone = new Map<string, Profile>();
  readonly byExternalId = new Map<string, Profile>();
  order: Profile[] = [];
  private removed = 0;

  get size(): number {
    return this.byId.size;
  }

  index(identifier: Identifier): Map<string, Profile> {
    if (identifier === 'email') return this.byEmail;
    if (identifier === 'phone_number') return this.byPhone;
    return this.byExternalId;
  }

  find(identifier: Identifier, value: string): Profile | undefined {
    return this.index(identifier).get(identifier === 'email' ? value.toLowerCase() : value);
  }

  add(profile: Profile): void {
    this.byId.set(profile.id, profile);
    this.order.push(profile);
    for (const identifier of IDENTIFIERS) this.setIdentifier(profile, identifier, profile[identifier], true);
  }

  /** Changes one identifier, keeping the index right. The caller has checked that the new value is free. */
  setIdentifier(profile: Profile, identifier: Identifier, value: string | undefined, initial = false): void {
    const index = this.index(identifier);
    const old = profile[identifier];
    if (!initial && old !== undefined) index.delete(identifier === 'email' ? old.toLowerCase() : old);
    profile[identifier] = value;
    if (value !== undefined) index.set(identifier === 'email' ? value.toLowerCase() : value, profile);
  }

  remove(profile: Profile): void {
    if (!this.byId.delete(profile.id)) return;
    for (const identifier of IDENTIFIERS) {
      const value = profile[identifier];
      if (value !== undefined)
        this.index(identifier).delete(identifier === 'email' ? value.toLowerCase() : value);
    }
    this.removed++;
    // Compact the order array once deletions make up a good part of it; cursors stay approximately right.
    if (this.removed > 1000 && this.removed > this.order.length / 4) {
      this.order = this.order.filter((p) => this.byId.get(p.id) === p);
      this.removed = 0;
    }
  }

  /** Live profiles in creation order. */
  *all(): Iterable<Profile> {
    for (const profile of this.order) if (this.byId.get(profile.id) === profile) yield profile;
  }
}

export interface SandboxList {
  id: string;
  name: string;
  optInProcess: 'double_opt_in' | 'single_opt_in';
  created: number;
  updated: number;
  /** profile id → time joined */
  members: Map<string, number>;
}

export interface Metric {
  id: string;
  name: string;
  service: string;
  created: number;
  updated: number;
}

export interface SandboxEvent {
  id: string;
  metricId: string;
  profileId: string;
  time: number;
  uniqueId: string;
  value: number | undefined;
  valueCurrency: string | undefined;
  properties: Record<string, unknown>;
  /** sent with `backfill: true`: recorded, but Klaviyo does not trigger flows on it */
  backfill: boolean;
}

export interface CatalogItem {
  id: string;
  attributes: Record<string, unknown>;
  created: number;
  updated: number;
}

export interface CatalogVariant extends CatalogItem {
  itemId: string;
}

export type JobStatus = 'queued' | 'processing' | 'complete' | 'cancelled';

export interface JobError {
  id: string;
  code: string;
  title: string;
  detail: string;
  source: { pointer: string };
  original_payload?: Record<string, unknown>;
}

export interface Job {
  id: string;
  /** JSON:API type of the job, e.g. `profile-bulk-import-job`, or `profile-subscription-bulk-create-job`. */
  type: string;
  status: JobStatus;
  totalCount: number;
  completedCount: number;
  failedCount: number;
  createdAt: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  errors: JobError[];
  /** ids of the resources the job touched (profiles for imports, items or variants for catalog jobs). */
  resultIds: string[];
  listIds: string[];
  /** The work itself, run by the job runner in slices; returns true when done. */
  step: (job: Job) => boolean;
}

export interface Account {
  id: string;
  name: string;
  publicApiKey: string;
  profiles: ProfileStore;
  lists: Map<string, SandboxList>;
  events: SandboxEvent[];
  eventsById: Map<string, SandboxEvent>;
  /** `profileId|metricId|unique_id` of recorded events, for Klaviyo's deduplication rule. */
  eventKeys: Set<string>;
  metrics: Map<string, Metric>;
  metricsByName: Map<string, Metric>;
  catalogItems: Map<string, CatalogItem>;
  catalogVariants: Map<string, CatalogVariant>;
  jobs: Map<string, Job>;
  /** creation times of lists, for the 150 a day limit */
  listCreations: number[];
}

export function newAccount(id: string, name: string): Account {
  return {
    id,
    name,
    publicApiKey: shortId(6),
    profiles: new ProfileStore(),
    lists: new Map(),
    events: [],
    eventsById: new Map(),
    eventKeys: new Set(),
    metrics: new Map(),
    metricsByName: new Map(),
    catalogItems: new Map(),
    catalogVariants: new Map(),
    jobs: new Map(),
    listCreations: [],
  };
}

/** Empties an account's data, keeping its identity and keys. */
export function clearAccount(account: Account): void {
  const fresh = newAccount(account.id, account.name);
  fresh.publicApiKey = account.publicApiKey;
  Object.assign(account, fresh);
}
