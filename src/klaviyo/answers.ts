// Klaviyo's answers checked at the boundary (zod): only the parts the service relies on (resource ids and
// types, job status, collection data and the next-page link, the account list). Anything else passes as
// it came. An answer that does not fit becomes KLAVIYO_UNEXPECTED_RESPONSE naming the part at fault,
// never a crash later or a link to an id that was not there (docs/klaviyo-client.md, "Answers").
import { z } from 'zod';
import { KlaviyoError } from './errors.ts';
import type { KlaviyoResource } from './pagination.ts';

const nonEmpty = z.string().min(1);

/** A JSON:API resource: a type and an id the service can store, and attributes as an object. */
export const ResourceSchema = z.looseObject({
  type: nonEmpty,
  id: nonEmpty,
  attributes: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((a) => a ?? {}),
  relationships: z.record(z.string(), z.unknown()).optional(),
  links: z.record(z.string(), z.unknown()).optional(),
});

export const SingleSchema = z.looseObject({ data: ResourceSchema });

/** A `links.next` Klaviyo gives must be a URL (the transport follows it on the configured host only). */
const nextLink = z
  .string()
  .refine((value) => URL.canParse(value, 'http://base.invalid'), 'is not a URL')
  .nullish();

export const CollectionSchema = z.looseObject({
  data: z.array(ResourceSchema),
  included: z.array(ResourceSchema).optional(),
  links: z.looseObject({ next: nextLink }).nullish(),
});

/** Klaviyo's job states (the spec's enum for every bulk job); the flows wait on them. */
export const JOB_STATUSES = ['queued', 'processing', 'complete', 'cancelled'] as const;

/** A bulk job as answered when it is read: its status is required and must be one Klaviyo defines. */
export const JobSchema = z.looseObject({
  data: ResourceSchema.extend({
    attributes: z.looseObject({ status: z.enum(JOB_STATUSES) }),
  }),
});

/** A bulk job as answered when it is made (202): a status, when given, must be one Klaviyo defines. */
export const NewJobSchema = z.looseObject({
  data: ResourceSchema.extend({
    attributes: z
      .looseObject({ status: z.enum(JOB_STATUSES).optional() })
      .nullish()
      .transform((a) => a ?? {}),
  }),
});

/** Get Accounts answers the one account of the credentials. */
export const AccountsSchema = z.looseObject({ data: z.array(ResourceSchema).min(1) });

function where(issue: z.core.$ZodIssue): string {
  return issue.path.length > 0 ? issue.path.map(String).join('.') : 'the body';
}

/**
 * `body` as `schema` describes it, or KLAVIYO_UNEXPECTED_RESPONSE. Transient: a proxy's error page or a
 * passing glitch may be gone on the next try, and the transfer's retry schedule decides.
 */
export function parseAnswer<S extends z.ZodType>(
  schema: S,
  body: unknown,
  operationId: string,
  status: number,
): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const shown = typeof body === 'string' ? 'a body that is not JSON' : `${where(issue)} ${issue.message}`;
  throw new KlaviyoError({
    status,
    code: 'KLAVIYO_UNEXPECTED_RESPONSE',
    kind: 'transient',
    message: `Klaviyo's answer to ${operationId} (HTTP ${status}) is not what the service relies on: ${shown}. Nothing was recorded from it.`,
    operationId,
  });
}

/** The resource of a single-resource answer. */
export function resourceOf<A>(body: unknown, operationId: string, status: number): KlaviyoResource<A> {
  return parseAnswer(SingleSchema, body, operationId, status).data as KlaviyoResource<A>;
}
