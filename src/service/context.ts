// What every route module and background part receives: the configuration, the store, the logger,
// and the services that areas add as they are built. This module sits below the areas and imports only
// lower layers (docs/architecture.md). An area that puts a service on the context declares its field from
// its own folder by augmenting this interface (`declare module '../service/context.ts'`), as the hub
// (src/hub/context.ts) and the transfer engine (src/transfer/service.ts) do, so that no edge climbs from
// here up into an area.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { KlaviyoClient } from '../klaviyo/index.ts';
import type { SecretBox } from '../secrets/index.ts';
import type { Store } from '../store/db.ts';

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
  /** The service's clock (epoch ms); tests move it to cross token expiry without sleeping. */
  now(): number;
  /** Hooks run when the service stops (areas add background work here). */
  onClose(hook: () => Promise<void> | void): void;
}
