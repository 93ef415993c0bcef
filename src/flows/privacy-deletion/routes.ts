// `POST /api/v1/subscriptions/:id/privacy-deletions` (SPEC S5.1): the explicit call that asks Klaviyo to
// delete a profile. Everything that can be known here is checked here (the body, the subscription, the
// hub customer and how it resolves, the subscription's access) so a mistake answers at once; the Klaviyo
// call itself runs as a transfer of the privacy-deletion flow, which retries transient failures and keeps
// the request and Klaviyo's answer in the transfer log.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, ERROR_CODES, type ErrorCode, SUBSCRIPTION_PAUSING_CODES } from '../../domain/errors.ts';
import { parseOr400 } from '../../hub/routes.ts';
import type { ServiceContext } from '../../service/context.ts';
import { CUSTOMER_TABLE } from '../customer-to-profile/handler.ts';
import { type DeletionIdentifier, PRIVACY_DELETION_FLOW, type PrivacyDeletionPayload } from './handler.ts';

const IDENTIFIERS = ['customer_id', 'profile_id', 'email', 'phone_number'] as const;

const DeletionBody = z.strictObject({
  customer_id: z.string().trim().min(1).max(200).optional(),
  profile_id: z.string().trim().min(1).max(100).optional(),
  email: z.email('must be an email address').max(254).optional(),
  phone_number: z
    .string()
    .trim()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form, e.g. +14155552671')
    .optional(),
});

type DeletionRequest = z.infer<typeof DeletionBody>;

/** Exactly one identifier; the second one given is the field named when there are more. */
function oneIdentifier(body: DeletionRequest): (typeof IDENTIFIERS)[number] {
  const given = IDENTIFIERS.filter((key) => body[key] !== undefined);
  if (given.length === 1) return given[0];
  const message =
    given.length === 0
      ? 'Give exactly one of customer_id, profile_id, email or phone_number.'
      : `Give exactly one of customer_id, profile_id, email or phone_number, not both ${given[0]} and ${given[1]}.`;
  throw new AppError('VALIDATION_FAILED', `${given[1] ?? 'customer_id'}: ${message}`, {
    field: given[1] ?? 'customer_id',
  });
}

/** parseOr400 does not name an unknown key; this answer does, so a client can point at it. */
function withKnownKeys(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const unknown = Object.keys(body).find((key) => !(IDENTIFIERS as readonly string[]).includes(key));
  if (unknown !== undefined) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${unknown}: not a known field; give one of customer_id, profile_id, email or phone_number.`,
      { field: unknown },
    );
  }
  return body;
}

export function registerPrivacyDeletionRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/api/v1/subscriptions/:id/privacy-deletions', async (req, reply) => {
    const { id } = parseOr400(z.object({ id: z.string().min(1).max(100) }), req.params);
    const body = parseOr400(DeletionBody, withKnownKeys(req.body ?? {}));
    const which = oneIdentifier(body);
    const { transfers, hub } = ctx;
    if (!transfers || !hub) throw new Error('The transfer engine is not part of this service context.');
    if (!(await transfers.subscriptions.exists(id)))
      throw new AppError('NOT_FOUND', `No subscription with id '${id}'.`);

    let target: DeletionIdentifier;
    let customerId: string | undefined;
    if (which === 'customer_id') {
      customerId = body.customer_id!;
      const customer = await hub.get('customer', customerId);
      if (!customer)
        throw new AppError('RECORD_NOT_FOUND', `No hub customer with id '${customerId}'.`, {
          field: 'customer_id',
        });
      const profileId = await transfers.engine.links.klaviyoIdOf(id, CUSTOMER_TABLE, customerId);
      const email = (customer as { email_address?: string | null }).email_address;
      if (profileId) target = { profile_id: profileId };
      else if (email) target = { email };
      else
        throw new AppError(
          'VALIDATION_FAILED',
          `customer_id: hub customer '${customerId}' is not linked to a Klaviyo profile in this subscription ` +
            'and has no email address, so there is nothing to name in Klaviyo. Request the deletion by ' +
            'profile_id, email or phone_number instead.',
          { field: 'customer_id' },
        );
    } else if (which === 'profile_id') target = { profile_id: body.profile_id! };
    else if (which === 'email') target = { email: body.email! };
    else target = { phone_number: body.phone_number! };

    // A request that cannot reach Klaviyo answers with the subscription's auth code now, rather than
    // waiting unseen behind a paused queue.
    await ctx.klaviyoFor(id);
    const pause = await transfers.engine.log.pauseOf(id);
    if (pause && pause.code in ERROR_CODES && SUBSCRIPTION_PAUSING_CODES.has(pause.code as ErrorCode))
      throw new AppError(pause.code as ErrorCode, pause.message);

    const payload: PrivacyDeletionPayload = {
      target,
      ...(customerId !== undefined ? { customer_id: customerId } : {}),
    };
    const [made] = await ctx.store.db.transaction().execute((trx) =>
      transfers.engine.enqueueReturning(trx, [
        {
          subscription_id: id,
          flow: PRIVACY_DELETION_FLOW,
          direction: 'from_hub',
          trigger: 'api',
          record_kind: customerId !== undefined ? 'customer' : 'profile',
          record_id: customerId ?? Object.values(target)[0],
          payload,
        },
      ]),
    );
    return reply.status(202).send({ requested: target, transfer_id: made.id, tracking_id: made.tracking_id });
  });
}
