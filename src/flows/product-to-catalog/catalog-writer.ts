// Writing catalog items and variants (SPEC S5.5), one result per resource. Ids are Klaviyo's compound
// `$custom:::$default:::<external id>`, known before any call, so a create that finds the resource already
// there (409) simply becomes an update. With a backlog, resources go by bulk jobs of ≤100, polled to
// completion, with each job error mapped back to its resource by position; without one, by single calls.
import { setTimeout as delay } from 'node:timers/promises';
import type { CatalogItemAttributes, CatalogVariantAttributes, KlaviyoClient } from '../../klaviyo/index.ts';
import { catalogId } from '../../klaviyo/index.ts';
import {
  chunkWithinLimits,
  type ItemResult,
  mapWithConcurrency,
  sendSplittingOnRefusal,
} from '../shared/batcher.ts';
import { isContentRefusal, isKlaviyoError, refusedIndexes } from '../shared/outcomes.ts';

export interface CatalogWrite {
  kind: 'item' | 'variant';
  externalId: string;
  /** For variants: the item's compound id. */
  itemId?: string;
  /** True when the resource is linked (known to exist): it is updated. */
  exists: boolean;
  attributes: CatalogItemAttributes & CatalogVariantAttributes;
}

export type CatalogResult = ItemResult<{ id: string }>;

const BULK_SIZE = 100;

function isConflict(error: unknown): boolean {
  return isKlaviyoError(error) && error.kind === 'conflict';
}

async function writeOne(client: KlaviyoClient, write: CatalogWrite): Promise<CatalogResult> {
  const id = catalogId(write.externalId);
  const update = () =>
    write.kind === 'item'
      ? client.catalog.updateItem(id, write.attributes)
      : client.catalog.updateVariant(id, write.attributes);
  try {
    if (write.exists) await update();
    else {
      try {
        if (write.kind === 'item')
          await client.catalog.createItem({ ...write.attributes, external_id: write.externalId });
        else
          await client.catalog.createVariant(write.itemId!, {
            ...write.attributes,
            external_id: write.externalId,
          });
      } catch (error) {
        if (!isConflict(error)) throw error;
        await update();
      }
    }
    return { ok: true, value: { id } };
  } catch (error) {
    return { ok: false, error };
  }
}

interface JobError {
  code?: string;
  title?: string;
  detail?: string;
  source?: { pointer?: string };
}

async function runJob(
  client: KlaviyoClient,
  kind: 'item' | 'variant',
  action: 'create' | 'update',
  writes: readonly CatalogWrite[],
  sleep: (ms: number) => Promise<void>,
  pollMs: { first: number; max: number },
): Promise<CatalogResult[]> {
  const catalog = client.catalog;
  const job =
    kind === 'item'
      ? action === 'create'
        ? await catalog.bulkCreateItems(writes.map((w) => ({ ...w.attributes, external_id: w.externalId })))
        : await catalog.bulkUpdateItems(
            writes.map((w) => ({ id: catalogId(w.externalId), attributes: w.attributes })),
          )
      : action === 'create'
        ? await catalog.bulkCreateVariants(
            writes.map((w) => ({
              itemId: w.itemId!,
              attributes: { ...w.attributes, external_id: w.externalId },
            })),
          )
        : await catalog.bulkUpdateVariants(
            writes.map((w) => ({ id: catalogId(w.externalId), attributes: w.attributes })),
          );
  let status = job.attributes;
  let wait = pollMs.first;
  const deadline = Date.now() + 10 * 60_000;
  while (status.status !== 'complete' && status.status !== 'cancelled') {
    if (Date.now() > deadline) break;
    await sleep(wait);
    wait = Math.min(pollMs.max, wait * 2);
    status = (await catalog.getJob(kind, action, job.id)).attributes;
  }
  if (status.status !== 'complete') {
    const detail = `Klaviyo's catalog job ${job.id} did not complete (${status.status ?? 'unknown'}); it will be sent again`;
    const error = {
      status: 502,
      kind: 'transient' as const,
      code: 'KLAVIYO_BULK_JOB_FAILED',
      errors: [{ detail }],
      message: detail,
    };
    return writes.map(() => ({ ok: false, error }));
  }
  const results: CatalogResult[] = writes.map((w) => ({ ok: true, value: { id: catalogId(w.externalId) } }));
  for (const raw of (status.errors ?? []) as JobError[]) {
    const at = /\/data\/(\d+)/.exec(raw.source?.pointer ?? '');
    if (!at || Number(at[1]) >= writes.length) continue;
    const conflict = raw.code === 'conflict' || raw.code === 'duplicate';
    results[Number(at[1])] = {
      ok: false,
      error: {
        status: conflict ? 409 : 400,
        kind: conflict ? 'conflict' : 'invalid',
        errors: [{ code: raw.code, title: raw.title, detail: raw.detail, source: raw.source }],
        message: raw.detail ?? raw.title ?? 'Klaviyo refused this catalog resource.',
      },
    };
  }
  return results;
}

/** Creates or updates every resource, in bulk jobs or one by one; creates that meet 409 become updates. */
export async function writeCatalog(
  client: KlaviyoClient,
  writes: readonly CatalogWrite[],
  options: {
    bulk: boolean;
    sleep?: (ms: number) => Promise<void>;
    jobPollMs?: { first: number; max: number };
  },
): Promise<CatalogResult[]> {
  if (!options.bulk) return mapWithConcurrency(writes, 10, (write) => writeOne(client, write));
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const results: CatalogResult[] = new Array(writes.length);
  const conflicts: number[] = [];
  for (const action of ['create', 'update'] as const) {
    for (const kind of ['item', 'variant'] as const) {
      const indexes = writes.flatMap((w, i) =>
        w.kind === kind && (action === 'update') === w.exists ? [i] : [],
      );
      const chunks = chunkWithinLimits(indexes, { maxItems: BULK_SIZE });
      await mapWithConcurrency(chunks, 4, async (chunk) => {
        const outcomes = await sendSplittingOnRefusal(
          chunk,
          (batch) =>
            runJob(
              client,
              kind,
              action,
              batch.map((i) => writes[i]),
              sleep,
              options.jobPollMs ?? { first: 200, max: 5000 },
            ),
          {
            isWholeBatchRefusal: isContentRefusal,
            locateRefused: (error) => refusedIndexes(error, `${kind}s`),
          },
        );
        outcomes.forEach((outcome, position) => {
          const index = chunk[position];
          if (!outcome.ok && action === 'create' && isConflict(outcome.error)) conflicts.push(index);
          else results[index] = outcome;
        });
      });
    }
  }
  // Resources that already existed: updated one by one (rare after the first sync, when links exist).
  const again = await mapWithConcurrency(conflicts, 10, (index) =>
    writeOne(client, { ...writes[index], exists: true }),
  );
  conflicts.forEach((index, position) => {
    results[index] = again[position];
  });
  return results;
}
