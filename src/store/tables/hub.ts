// Tables of hub records and their change feed.
import type { Generated } from 'kysely';

/** One row per hub record of any kind; the body is the record's JSON without the bookkeeping fields. */
export interface HubRecordsTable {
  kind: string;
  id: string;
  /** The service-wide change sequence number of the last write (the change feed's cursor). */
  version: number;
  /** Lower-cased email address, for lookups by email (profiles are matched by it). */
  email: string | null;
  body: string;
  created_at: string;
  updated_at: string;
  deleted: number;
  /** The subscription whose TO-hub transfer made the last write, if one did (no echo back to it). */
  origin_subscription_id: string | null;
}

/** A single-row counter giving every hub write its version (a row, not a sequence, so the change feed
 * never shows version n+1 before version n has committed). */
export interface HubSequenceTable {
  name: string;
  value: Generated<number>;
}

export interface HubTables {
  hub_records: HubRecordsTable;
  hub_sequence: HubSequenceTable;
}
