// What every route module and background part receives: the configuration, the store, the logger,
// and the services that areas add as they are built. Areas add their service here with a small edit
// (an optional field first, made required once the composition root in src/app.ts provides it).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { HubStore } from '../hub/store.ts';
import type { KlaviyoClient } from '../klaviyo/index.ts';
import type { SecretBox } from '../secrets/index.ts';
import type { Store } from '../store/db.ts';
import type { TransferServices } from '../transfer/service.ts';

export interface ServiceContext {
  config: Config;
  store: Store;
  log: Logger;
  /** Encrypts and decrypts secrets at rest (AES-256-GCM). */
  secrets: SecretBox;
  /** The Prometheus registry served at /metrics; areas register their own metrics on it. */
  metrics: Registry;
  /**
   * A Klaviyo client for a subscription, configured with its credentials (API key or OAuth token
   * manager), revision, throttle, concurrency and rate budget key. Cached per subscription and rebuilt
   * when the subscription's settings change. Throws AppError NOT_FOUND for an unknown subscription and
   * AUTH_MISSING when it has no credentials.
   */
  klaviyoFor(subscriptionId: string): Promise<KlaviyoClient>;
  /** Hub records (customers, transactions, products) with change capture into transfers. */
  hub?: HubStore;
  /** The transfer engine (queue, workers, flow registry, log, links, watermarks) and the poll scheduler. */
  transfers?: TransferServices;
  /** The service's clock (epoch ms); tests move it to cross token expiry without sleeping. */
  now(): number;
  /** Hooks run when the service stops (areas add background work here). */
  onClose(hook: () => Promise<void> | void): void;
}
