// Where flows register their handlers. Transfers of a flow with no handler wait in the queue until one
// is registered (a process that runs no such flow keeps their transfers queued, never fails them).
import type { FlowHandler } from './types.ts';

export const DEFAULT_MAX_BATCH = 100;

export class FlowRegistry {
  private readonly handlers = new Map<string, FlowHandler>();

  /** `replace` swaps an existing handler (tests put a recording flow in place of a Klaviyo one). */
  register(handler: FlowHandler, options: { replace?: boolean } = {}): void {
    if (this.handlers.has(handler.flow) && !options.replace) {
      throw new Error(`A handler for flow '${handler.flow}' is already registered.`);
    }
    this.handlers.set(handler.flow, handler);
  }

  get(flow: string): FlowHandler | undefined {
    return this.handlers.get(flow);
  }

  flows(): string[] {
    return [...this.handlers.keys()];
  }

  maxBatch(flow: string): number {
    return this.handlers.get(flow)?.maxBatch ?? DEFAULT_MAX_BATCH;
  }
}
