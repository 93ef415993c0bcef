// Alerts in the running service: the alert service for this context, a check every
// KLAVIYO_SYNC_ALERT_CHECK_SECONDS (and at once when a subscription's status changes), notification
// sending with retries, and cleanup. The composition root calls startAlerts once (docs/alerts.md).
import { Counter, Gauge } from 'prom-client';
import type { ServiceContext } from '../service/context.ts';
import { subscriptionStatusHooks } from '../subscriptions/hooks.ts';
import { AlertService } from './service.ts';

export { AlertService } from './service.ts';

const services = new WeakMap<object, AlertService>();

/** The alert service of a running service (routes and tests). */
export function alertsOf(ctx: ServiceContext): AlertService {
  const found = services.get(ctx);
  if (!found) throw new Error('alerts are not started for this service');
  return found;
}

let hooksInstalled = false;

/** The status hooks are a module list shared by every service in the process; each finds its own alerts. */
function installStatusHook() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  subscriptionStatusHooks.push(async (ctx, event) => {
    const alerts = services.get(ctx);
    if (alerts) await alerts.check(event.subscriptionId);
  });
}

/** Subscription-deleted hook (listed in src/server/subscription-hooks.ts): its rules go, its alerts resolve. */
export async function forgetDeletedSubscriptionAlerts(
  ctx: ServiceContext,
  subscriptionId: string,
): Promise<void> {
  const alerts = services.get(ctx);
  if (!alerts) return;
  await alerts.settings.forgetSubscription(subscriptionId);
  await alerts.check();
}

export interface AlertOptions {
  /** Run the periodic check and sending in this process (default true; API-only processes skip it). */
  workers?: boolean;
}

export function startAlerts(ctx: ServiceContext, options: AlertOptions = {}): AlertService {
  const messages = new Counter({
    name: 'klaviyo_sync_alert_messages_total',
    help: 'Alert messages tried, by channel (email, slack, webhook) and outcome (sent, failed)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [ctx.metrics],
  });
  const alerts = new AlertService({
    onMessage: (channel, outcome) => messages.inc({ channel, outcome }),
    db: ctx.store.db,
    secrets: ctx.secrets,
    log: ctx.log,
    now: () => ctx.now(),
    publicUrl: () => ctx.config.publicUrl,
    allowLoopback: ctx.config.allowSandboxUrls,
  });
  services.set(ctx, alerts);
  new Gauge({
    name: 'klaviyo_sync_alerts_open',
    help: 'Alerts open now (a subscription paused, transfers dead, failures over the limit)',
    registers: [ctx.metrics],
    async collect() {
      this.set(await alerts.openCount());
    },
  });
  installStatusHook();
  if (options.workers === false) return alerts;
  let running: Promise<void> | null = null;
  let ticks = 0;
  const tick = () => {
    if (running) return;
    running = (async () => {
      await alerts.check();
      alerts.kick(); // retries that fell due
      if (ticks++ % 240 === 0) await alerts.cleanup();
    })()
      .catch((err) => ctx.log.error({ err }, 'alerts: check failed'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, ctx.config.alertCheckSeconds * 1000);
  timer.unref();
  setImmediate(tick);
  ctx.onClose(async () => {
    clearInterval(timer);
    await running;
    await alerts.idle();
    services.delete(ctx);
  });
  return alerts;
}
