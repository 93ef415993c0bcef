// Builds the hub store, the transfer engine and the poll scheduler for a service, and starts and stops
// them with it. src/app.ts calls startTransferServices once the context exists.
import { HubStore } from '../hub/store.ts';
import type { ServiceContext } from '../service/context.ts';
import { TransferEngine, type TransferEngineOptions } from './engine.ts';
import { PollScheduler } from './scheduler.ts';
import {
  type CollectionSource,
  type SubscriptionSource,
  storeCollections,
  storeFlowSettings,
  storeSubscriptions,
} from './sources.ts';
import type { FlowSettingsSource } from './types.ts';

// The transfer engine's field on the service context, declared here so that src/service/context.ts needs
// no import from this area (the layers point one way: docs/architecture.md).
declare module '../service/context.ts' {
  interface ServiceContext {
    /** The transfer engine (queue, workers, flow registry, log, links, watermarks) and the poll scheduler. */
    transfers?: TransferServices;
  }
}

export interface TransferServices {
  engine: TransferEngine;
  scheduler: PollScheduler;
  subscriptions: SubscriptionSource;
  collections: CollectionSource;
}

export interface TransferServiceOptions extends Partial<Omit<TransferEngineOptions, 'store' | 'hub'>> {
  flowSettings?: FlowSettingsSource;
  subscriptions?: SubscriptionSource;
  collections?: CollectionSource;
  /** Start the worker pool and the scheduler (false for processes that only serve the API). */
  workers?: boolean;
}

type Ctx = Pick<ServiceContext, 'store' | 'log' | 'secrets' | 'onClose'> &
  Partial<Pick<ServiceContext, 'metrics'>> & {
    hub?: HubStore;
    transfers?: TransferServices;
  };

export function createTransferServices(ctx: Ctx, options: TransferServiceOptions = {}) {
  const hub = new HubStore(ctx.store);
  const subscriptions = options.subscriptions ?? storeSubscriptions(ctx.store, ctx.secrets);
  const engine = new TransferEngine({
    ...options,
    store: ctx.store,
    hub,
    flowSettings: options.flowSettings ?? storeFlowSettings,
    log: options.log ?? ctx.log,
    metrics: options.metrics ?? ctx.metrics,
  });
  const scheduler = new PollScheduler({ engine, subscriptions, log: options.log ?? ctx.log });
  const transfers: TransferServices = {
    engine,
    scheduler,
    subscriptions,
    collections: options.collections ?? storeCollections(ctx.store),
  };
  return { hub, transfers };
}

/** Creates the services, puts them on the context, starts the workers, and stops them at close. */
export async function startTransferServices(ctx: Ctx, options: TransferServiceOptions = {}) {
  const made = createTransferServices(ctx, options);
  ctx.hub = made.hub;
  ctx.transfers = made.transfers;
  if (options.workers !== false) {
    await made.transfers.engine.start();
    made.transfers.scheduler.start();
  }
  ctx.onClose(async () => {
    await made.transfers.scheduler.stop();
    await made.transfers.engine.stop();
  });
  return made;
}

/** Subscription-deleted hook: its queue, log, links and watermarks go with it. */
export async function forgetDeletedSubscription(ctx: ServiceContext, subscriptionId: string): Promise<void> {
  await ctx.transfers?.engine.log.forgetSubscription(subscriptionId);
}
