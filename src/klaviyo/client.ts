import { bulkImportResource } from './resources/bulk-import.ts';
import { catalogResource } from './resources/catalog.ts';
import { eventsResource } from './resources/events.ts';
import { listsResource } from './resources/lists.ts';
import { accountsResource, dataPrivacyResource, metricsResource } from './resources/misc.ts';
import { profilesResource } from './resources/profiles.ts';
import { subscriptionsResource } from './resources/subscriptions.ts';
import { type KlaviyoClientOptions, type KlaviyoClientStats, KlaviyoTransport } from './transport.ts';

export interface KlaviyoClient {
  accounts: ReturnType<typeof accountsResource>;
  profiles: ReturnType<typeof profilesResource>;
  bulkImport: ReturnType<typeof bulkImportResource>;
  subscriptions: ReturnType<typeof subscriptionsResource>;
  lists: ReturnType<typeof listsResource>;
  events: ReturnType<typeof eventsResource>;
  metrics: ReturnType<typeof metricsResource>;
  catalog: ReturnType<typeof catalogResource>;
  dataPrivacy: ReturnType<typeof dataPrivacyResource>;
  /** Calls, 429s, retries and budget use per tier (for the dashboard). */
  stats(): Promise<KlaviyoClientStats>;
  /** The transport, for operations the resources do not cover yet. */
  transport: KlaviyoTransport;
}

export function createKlaviyoClient(options: KlaviyoClientOptions): KlaviyoClient {
  if (!options.budgetKey) throw new Error('createKlaviyoClient needs a budgetKey (the rate quota identity)');
  const transport = new KlaviyoTransport(options);
  return {
    accounts: accountsResource(transport),
    profiles: profilesResource(transport),
    bulkImport: bulkImportResource(transport),
    subscriptions: subscriptionsResource(transport),
    lists: listsResource(transport),
    events: eventsResource(transport),
    metrics: metricsResource(transport),
    catalog: catalogResource(transport),
    dataPrivacy: dataPrivacyResource(transport),
    stats: () => transport.stats(),
    transport,
  };
}
