import type { EndpointSpec } from '../endpoints.ts';
import { endpoint } from '../endpoints.ts';
import { KlaviyoError } from '../errors.ts';
import { JobSchema, NewJobSchema, parseAnswer, SingleSchema } from '../answers.ts';
import type { KlaviyoResponse } from '../options.ts';
import type { KlaviyoResource } from '../pagination.ts';

export type Attributes = Record<string, unknown>;

/** Drops undefined members so a body carries only what the caller set (Klaviyo reads null as "clear"). */
export function defined<T extends Record<string, unknown>>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (inner !== undefined) out[key] = inner;
  return out as T;
}

/** Refuses a batch above the endpoint's limit before it costs a call and a 400. */
export function checkBatch(operationId: string, size: number): EndpointSpec {
  const spec = endpoint(operationId);
  if (spec.maxBatch !== undefined && size > spec.maxBatch) {
    throw new KlaviyoError({
      status: 400,
      code: 'KLAVIYO_INVALID_INPUT',
      kind: 'invalid',
      message: `${operationId} takes at most ${spec.maxBatch} resources per request; got ${size}. Split the batch.`,
      operationId,
    });
  }
  if (size === 0) {
    throw new KlaviyoError({
      status: 400,
      code: 'KLAVIYO_INVALID_INPUT',
      kind: 'invalid',
      message: `${operationId} needs at least one resource`,
      operationId,
    });
  }
  return spec;
}

/** The resource of a single-resource answer, checked: a type and an id are required (src/klaviyo/answers.ts). */
export function single<A = Attributes>(answer: KlaviyoResponse): KlaviyoResource<A> {
  return parseAnswer(SingleSchema, answer.body, answer.operationId, answer.status).data as KlaviyoResource<A>;
}

/** A bulk job read back: its status must be one Klaviyo defines (the flows wait on it). */
export function job<A = Attributes>(answer: KlaviyoResponse): KlaviyoResource<A> {
  return parseAnswer(JobSchema, answer.body, answer.operationId, answer.status).data as KlaviyoResource<A>;
}

/** A bulk job just made (202): its id is required; a status, when given, must be one Klaviyo defines. */
export function newJob<A = Attributes>(answer: KlaviyoResponse): KlaviyoResource<A> {
  return parseAnswer(NewJobSchema, answer.body, answer.operationId, answer.status).data as KlaviyoResource<A>;
}

/** Comma lists for `fields[type]` / `additional-fields[type]`. */
export function csv(values: readonly string[] | undefined): string | undefined {
  return values && values.length > 0 ? values.join(',') : undefined;
}
