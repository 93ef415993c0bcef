// Writing profiles to Klaviyo (SPEC S5.1, S6), one outcome per record. Without a backlog each profile goes
// by the single endpoints: PATCH for a known profile, POST for a new one, with Klaviyo's two 409 cases
// handled (create: the profile exists → link to it and update it; update: email and phone belong to two
// different profiles → update without the phone and say so). With a backlog, profiles go through bulk
// import jobs (≤10,000 profiles, ≤5 MB), polled to completion; import errors come back to their records,
// new profiles are found by their identifiers so they can be linked, and conflicting rows are retried by
// the single path, which knows how to resolve them.
import { setTimeout as delay } from 'node:timers/promises';
import type {
  KlaviyoClient,
  KlaviyoResource,
  ProfileAttributes,
  ProfileImportInput,
} from '../../klaviyo/index.ts';
import type { CollisionHandling } from '../../domain/collections.ts';
import { endpoint } from '../../klaviyo/index.ts';
import {
  chunkWithinLimits,
  type ItemResult,
  jsonBytes,
  mapWithConcurrency,
  sendSplittingOnRefusal,
} from '../shared/batcher.ts';
import {
  isContentRefusal,
  isKlaviyoError,
  type KlaviyoErrorEntry,
  refusedIndexes,
} from '../shared/outcomes.ts';
import { matchProfiles } from './profile-match.ts';

export interface ProfileWrite {
  /** The caller's key for the record (the transfer id). */
  key: string;
  /** Klaviyo's id when the record is linked or was matched: the profile is updated. */
  profileId?: string;
  attributes: ProfileAttributes;
  /** The Update collection's payload, for a create that finds the profile already exists (409). */
  attributesForUpdate?: () => Promise<ProfileAttributes | undefined>;
  /** The Add collection's collision handling, for that 409 (default: update and link). */
  collision?: CollisionHandling;
}

/** `existingProfileId`: a create met this existing profile (409) — updated, or refused under `error`. */
export type ProfileWriteResult =
  | {
      ok: true;
      profileId: string;
      created: boolean;
      warnings: string[];
      updated?: string;
      existingProfileId?: string;
    }
  | { ok: false; error: unknown; warnings: string[]; existingProfileId?: string };

export interface WriterOptions {
  concurrency?: number;
  /** Waits between job status reads: first, then doubling up to the max. */
  jobPollMs?: { first: number; max: number };
  /** Give up waiting on a bulk import job after this long; its records are retried later. */
  jobTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  /** Each bulk job created, for logs and the bench. */
  onBulkJob?: (info: { jobId: string; profiles: number }) => void;
}

const IMPORT = endpoint('bulk_import_profiles');

function isDuplicateConflict(error: unknown): boolean {
  return isKlaviyoError(error) && error.kind === 'conflict';
}

function isNotFound(error: unknown): boolean {
  return isKlaviyoError(error) && error.kind === 'not_found';
}

function withoutPhone(attributes: ProfileAttributes): ProfileAttributes {
  const { phone_number: _phone, ...rest } = attributes;
  return rest;
}

function updatedOf(profile: KlaviyoResource<ProfileAttributes>): string | undefined {
  const updated = (profile.attributes as { updated?: unknown }).updated;
  return typeof updated === 'string' ? updated : undefined;
}

/** PATCH, and on 409 (email and phone on two profiles) once more without the phone. */
async function updateResolvingConflict(
  client: KlaviyoClient,
  profileId: string,
  attributes: ProfileAttributes,
  warnings: string[],
): Promise<KlaviyoResource<ProfileAttributes>> {
  try {
    return await client.profiles.update(profileId, attributes);
  } catch (error) {
    if (!isDuplicateConflict(error) || !attributes.phone_number) throw error;
    const other = (error as { duplicateProfileId?: string }).duplicateProfileId;
    warnings.push(
      `Duplicate prevention: phone ${attributes.phone_number} belongs to another Klaviyo profile` +
        `${other ? ` (${other})` : ''} than this customer's profile (${profileId}); the profile was updated ` +
        'without the phone. Merge the two profiles in Klaviyo if they are the same person.',
    );
    return client.profiles.update(profileId, withoutPhone(attributes));
  }
}

/** One profile by the single endpoints. */
export async function writeProfileSingly(
  client: KlaviyoClient,
  write: ProfileWrite,
): Promise<ProfileWriteResult> {
  const warnings: string[] = [];
  try {
    if (write.profileId) {
      try {
        const profile = await updateResolvingConflict(client, write.profileId, write.attributes, warnings);
        return { ok: true, profileId: profile.id, created: false, warnings, updated: updatedOf(profile) };
      } catch (error) {
        if (!isNotFound(error)) throw error;
        warnings.push(
          `The linked Klaviyo profile ${write.profileId} no longer exists (deleted or merged in Klaviyo); the ` +
            'customer is matched again by its identifiers.',
        );
      }
    }
    try {
      const profile = await client.profiles.create(write.attributes);
      return { ok: true, profileId: profile.id, created: true, warnings, updated: updatedOf(profile) };
    } catch (error) {
      const existing = isDuplicateConflict(error)
        ? (error as { duplicateProfileId?: string }).duplicateProfileId
        : undefined;
      if (!existing) throw error;
      if (write.collision === 'error') return { ok: false, error, warnings, existingProfileId: existing };
      const linked = write.collision !== 'update_no_link';
      warnings.push(
        `Klaviyo already had a profile with this customer's identifiers (${existing}); it was ` +
          `${linked ? 'linked and updated' : 'updated, not linked (collision handling update_no_link)'}.`,
      );
      const attributes = (await write.attributesForUpdate?.()) ?? write.attributes;
      const profile = await updateResolvingConflict(client, existing, attributes, warnings);
      return {
        ok: true,
        profileId: profile.id,
        created: false,
        warnings,
        updated: updatedOf(profile),
        existingProfileId: existing,
      };
    }
  } catch (error) {
    return { ok: false, error, warnings };
  }
}

export function writeProfilesSingly(
  client: KlaviyoClient,
  writes: readonly ProfileWrite[],
  options: WriterOptions = {},
): Promise<ProfileWriteResult[]> {
  return mapWithConcurrency(writes, options.concurrency ?? 10, (write) => writeProfileSingly(client, write));
}

function importInput(write: ProfileWrite): ProfileImportInput {
  return { id: write.profileId, attributes: write.attributes };
}

function identityKeys(attributes: Record<string, unknown> | null | undefined): string[] {
  if (!attributes) return [];
  const keys: string[] = [];
  if (typeof attributes.email === 'string' && attributes.email)
    keys.push(`email:${attributes.email.toLowerCase()}`);
  if (typeof attributes.phone_number === 'string' && attributes.phone_number) {
    keys.push(`phone:${attributes.phone_number}`);
  }
  if (typeof attributes.external_id === 'string' && attributes.external_id) {
    keys.push(`external:${attributes.external_id}`);
  }
  return keys;
}

function jobFailure(detail: string) {
  return {
    status: 502,
    kind: 'transient' as const,
    code: 'KLAVIYO_BULK_JOB_FAILED',
    errors: [{ detail }],
    message: detail,
  };
}

async function waitForJob(client: KlaviyoClient, jobId: string, options: WriterOptions): Promise<string> {
  const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, { signal: options.signal }));
  const first = options.jobPollMs?.first ?? 500;
  const max = options.jobPollMs?.max ?? 5000;
  const deadline = Date.now() + (options.jobTimeoutMs ?? 10 * 60_000);
  let wait = first;
  for (;;) {
    const job = await client.bulkImport.get(jobId);
    const status = job.attributes.status ?? 'queued';
    if (status === 'complete' || status === 'cancelled') return status;
    if (Date.now() >= deadline) {
      throw jobFailure(
        `Klaviyo's bulk import job ${jobId} is still ${status}; its profiles will be sent again later`,
      );
    }
    await sleep(wait);
    wait = Math.min(max, wait * 2);
  }
}

interface ImportErrorAttributes {
  code?: string;
  title?: string;
  detail?: string;
  source?: { pointer?: string };
  original_payload?: Record<string, unknown> | null;
}

/** A Klaviyo-error-shaped value for one import error row, so outcomes map it like any refusal. */
function rowError(row: ImportErrorAttributes) {
  const entry: KlaviyoErrorEntry = {
    code: row.code,
    title: row.title,
    detail: row.detail,
    source: row.source,
  };
  const conflict = row.code === 'duplicate_profile' || row.code === 'conflict';
  const missing = row.code === 'not_found';
  return {
    status: conflict ? 409 : missing ? 404 : 400,
    kind: conflict ? ('conflict' as const) : missing ? ('not_found' as const) : ('invalid' as const),
    errors: [entry],
    message: row.detail ?? row.title ?? 'Klaviyo refused this profile in a bulk import.',
  };
}

/** Sends one chunk as a bulk import job and reads back every row's result. */
async function importChunk(
  client: KlaviyoClient,
  writes: readonly ProfileWrite[],
  options: WriterOptions,
): Promise<ItemResult<{ profileId: string; created: boolean }>[]> {
  const job = await client.bulkImport.create(writes.map(importInput));
  options.onBulkJob?.({ jobId: job.id, profiles: writes.length });
  const status = await waitForJob(client, job.id, options);
  const results: (ItemResult<{ profileId: string; created: boolean }> | undefined)[] = writes.map(
    () => undefined,
  );

  if (status === 'cancelled') {
    const cancelled = jobFailure(`Klaviyo cancelled bulk import job ${job.id}`);
    return writes.map(() => ({ ok: false, error: cancelled }));
  }

  const byIdentity = new Map<string, number>();
  writes.forEach((write, index) => {
    for (const key of identityKeys(write.attributes)) if (!byIdentity.has(key)) byIdentity.set(key, index);
  });

  for await (const row of client.bulkImport.iterateImportErrors(job.id)) {
    const attributes = row.attributes as ImportErrorAttributes;
    const at = /\/profiles\/data\/(\d+)/.exec(attributes.source?.pointer ?? '');
    let index = at ? Number(at[1]) : undefined;
    if (index === undefined || index >= writes.length) {
      index = identityKeys(attributes.original_payload)
        .map((key) => byIdentity.get(key))
        .find((i) => i !== undefined);
    }
    if (index !== undefined && results[index] === undefined)
      results[index] = { ok: false, error: rowError(attributes) };
  }

  // Rows that named their profile are done. New profiles are found by their identifiers on the profile
  // list endpoint (100 per call on the large tier) rather than by reading the job's profiles back, which
  // costs the same number of pages on a tier five times smaller.
  writes.forEach((write, index) => {
    if (results[index] === undefined && write.profileId) {
      results[index] = { ok: true, value: { profileId: write.profileId, created: false } };
    }
  });
  const unresolved = writes.flatMap((_write, index) => (results[index] === undefined ? [index] : []));
  if (unresolved.length > 0) {
    const found = await matchProfiles(
      client,
      unresolved.map((index) => ({
        key: String(index),
        email: writes[index].attributes.email ?? undefined,
        phone: writes[index].attributes.phone_number ?? undefined,
      })),
    );
    for (const index of unresolved) {
      const match = found.get(String(index));
      if (match) results[index] = { ok: true, value: { profileId: match.profileId, created: true } };
    }
  }
  if (results.some((result) => result === undefined)) {
    for await (const profile of client.bulkImport.iterateImportedProfiles(job.id)) {
      const index = identityKeys(profile.attributes)
        .map((key) => byIdentity.get(key))
        .find((i) => i !== undefined);
      if (index !== undefined && results[index] === undefined) {
        results[index] = { ok: true, value: { profileId: profile.id, created: true } };
      }
    }
  }

  return results.map(
    (result) =>
      result ?? {
        ok: false,
        error: jobFailure(`Klaviyo's bulk import job ${job.id} did not report this profile`),
      },
  );
}

/**
 * Many profiles through bulk import jobs. Rows Klaviyo refuses for a conflict of identifiers are sent
 * again one by one, where the 409 rules resolve them.
 */
export async function writeProfilesInBulk(
  client: KlaviyoClient,
  writes: readonly ProfileWrite[],
  options: WriterOptions = {},
): Promise<ProfileWriteResult[]> {
  const sizeOf = (write: ProfileWrite) =>
    jsonBytes({ type: 'profile', id: write.profileId, attributes: write.attributes });
  const indexed = writes.map((write, index) => ({ write, index }));
  const chunks = chunkWithinLimits(
    indexed,
    { maxItems: IMPORT.maxBatch ?? 10_000, maxBytes: IMPORT.maxPayloadBytes, envelopeBytes: 512 },
    (item) => sizeOf(item.write),
  );
  const results: ProfileWriteResult[] = new Array(writes.length);
  const retrySingly: number[] = [];
  await mapWithConcurrency(chunks, 2, async (chunk) => {
    const outcomes = await sendSplittingOnRefusal(
      chunk,
      async (items) =>
        importChunk(
          client,
          items.map((item) => item.write),
          options,
        ),
      {
        isWholeBatchRefusal: isContentRefusal,
        locateRefused: (error) => refusedIndexes(error, 'profiles'),
      },
    );
    outcomes.forEach((outcome, position) => {
      const index = chunk[position].index;
      if (outcome.ok) results[index] = { ok: true, ...outcome.value, warnings: [] };
      // Conflicting identifiers and vanished linked profiles: the single path knows how to resolve both.
      else if (isDuplicateConflict(outcome.error) || isNotFound(outcome.error)) retrySingly.push(index);
      else results[index] = { ok: false, error: outcome.error, warnings: [] };
    });
  });
  const again = await writeProfilesSingly(
    client,
    retrySingly.map((index) => writes[index]),
    options,
  );
  retrySingly.forEach((index, position) => {
    results[index] = again[position];
  });
  return results;
}
