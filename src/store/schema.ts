// The database's tables, as Kysely types. Each area keeps its tables in a file of its own under
// tables/ and its migrations under migrations/; this file only puts them together.
import type { AlertTables } from './tables/alerts.ts';
import type { CoreTables } from './tables/core.ts';
import type { FlowTables } from './tables/flows.ts';
import type { HubTables } from './tables/hub.ts';
import type { MappingTables } from './tables/mapping.ts';
import type { TransferTables } from './tables/transfer.ts';
import type { WebhookTables } from './tables/webhooks.ts';

export interface Database
  extends CoreTables,
    HubTables,
    TransferTables,
    MappingTables,
    FlowTables,
    WebhookTables,
    AlertTables {}
