// The one way a request about a subscription finds it, so every route and flow answers a missing one alike.
import { AppError } from '../domain/errors.ts';
import { getSubscriptionRow, type SubscriptionRow } from '../store/repositories/subscriptions.ts';
import type { ServiceContext } from '../service/context.ts';

/** The subscription's row; NOT_FOUND (404, "No subscription <id>.") when there is none. */
export async function requireSubscription(ctx: ServiceContext, id: string): Promise<SubscriptionRow> {
  const row = await getSubscriptionRow(ctx.store.db, id);
  if (!row) throw new AppError('NOT_FOUND', `No subscription ${id}.`);
  return row;
}
