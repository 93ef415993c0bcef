// Outbound hub webhooks in the running service: the hub listener that queues deliveries with the write,
// and the `hub-webhook` flow handler on the transfer engine. The composition root calls this once.
import type { ServiceContext } from '../service/context.ts';
import { createHubWebhookHandler, webhookChangeListener } from './delivery.ts';
import { WebhookEndpoints } from './endpoints.ts';

export { HUB_WEBHOOK_FLOW, type WebhookDelivery } from './delivery.ts';
export {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from './signing.ts';

export function registerHubWebhooks(ctx: ServiceContext): void {
  const { hub, transfers } = ctx;
  if (!hub || !transfers) throw new Error('registerHubWebhooks needs the transfer services started first');
  const endpoints = new WebhookEndpoints(ctx.store.db, ctx.secrets);
  hub.onChange(webhookChangeListener(endpoints, (db, list) => transfers.engine.enqueue(db, list)));
  transfers.engine.registry.register(
    createHubWebhookHandler({
      endpoints,
      now: () => ctx.now(),
      allowLoopback: ctx.config.allowSandboxUrls,
    }),
  );
}
