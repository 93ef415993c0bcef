// The flows in the running service: handlers on the transfer engine and the profile poll on the
// scheduler, with the service's own hub, links, Klaviyo clients and stored collections.
import { loadCompiledCollections } from '../mapping/store.ts';
import type { ServiceContext } from '../service/context.ts';
import { registerKlaviyoFlows } from './index.ts';

export function registerServiceFlows(ctx: ServiceContext): void {
  const { hub, transfers } = ctx;
  if (!hub || !transfers) throw new Error('registerServiceFlows needs the transfer services started first');
  registerKlaviyoFlows(
    transfers.engine,
    {
      hub,
      links: transfers.engine.links,
      klaviyoFor: (subscriptionId) => ctx.klaviyoFor(subscriptionId),
      collectionsFor: loadCompiledCollections,
    },
    { scheduler: transfers.scheduler, db: ctx.store.db },
  );
  // A batch that arrived before the handlers were there can run now.
  transfers.engine.pool.nudge();
}
