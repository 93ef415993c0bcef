import { CollectionSchema, parseAnswer } from './answers.ts';
import type { CallInput, KlaviyoTransport } from './transport.ts';

/** A JSON:API resource as Klaviyo returns it. */
export interface KlaviyoResource<A = Record<string, unknown>> {
  type: string;
  id: string;
  attributes: A;
  relationships?: Record<string, unknown>;
  links?: Record<string, unknown>;
}

export interface Page<A = Record<string, unknown>> {
  data: KlaviyoResource<A>[];
  included?: KlaviyoResource[];
  /** The `links.next` URL; absent on the last page. */
  next?: string;
}

export async function fetchPage<A>(
  transport: KlaviyoTransport,
  operationId: string,
  input: CallInput,
): Promise<Page<A>> {
  const answer = await transport.call(operationId, input);
  // Checked: `data` must be a list of resources with ids, and `links.next` a URL (src/klaviyo/answers.ts).
  const body = parseAnswer(CollectionSchema, answer.body, operationId, answer.status);
  return {
    data: body.data as KlaviyoResource<A>[],
    included: body.included as KlaviyoResource[] | undefined,
    next: body.links?.next ?? undefined,
  };
}

/** Every resource of a collection, following `links.next` until it is absent; pages are fetched lazily. */
export async function* iterateAll<A>(
  transport: KlaviyoTransport,
  operationId: string,
  input: CallInput,
): AsyncGenerator<KlaviyoResource<A>> {
  let page = await fetchPage<A>(transport, operationId, input);
  for (;;) {
    yield* page.data;
    if (!page.next) return;
    page = await fetchPage<A>(transport, operationId, { url: page.next });
  }
}

/** A page size clamped to the endpoint's maximum (Klaviyo answers 400 above it). */
export function pageSize(requested: number | undefined, max: number | undefined): number | undefined {
  if (requested === undefined) return max;
  if (max === undefined) return requested;
  return Math.max(1, Math.min(requested, max));
}
