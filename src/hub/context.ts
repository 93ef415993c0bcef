// The hub's field on the service context, declared here so that src/service/context.ts needs no import
// from the hub (the layers point one way: docs/architecture.md).
import type { HubStore } from './store.ts';

declare module '../service/context.ts' {
  interface ServiceContext {
    /** Hub records (customers, transactions, products) with change capture into transfers. */
    hub?: HubStore;
  }
}
