// Tables of the Klaviyo flows: what the profile poll has already queued, and which order status events
// have been sent.

/** The newest `updated` of each Klaviyo profile already queued or written, per subscription. */
export interface FlowProfileVersionsTable {
  subscription_id: string;
  profile_id: string;
  /** Epoch ms of Klaviyo's `updated`. */
  updated_ms: number;
}

/** Events sent beyond the Placed Order link: one row per (transaction, status metric). */
export interface FlowEventMarksTable {
  subscription_id: string;
  record_id: string;
  metric: string;
  unique_id: string;
  sent_at: string;
}

/** What the service last wrote to a profile: the attribute paths and a hash of their values. */
export interface FlowProfileWritesTable {
  subscription_id: string;
  profile_id: string;
  /** The written attribute paths, sorted, comma-separated (e.g. `email,first_name,location.city`). */
  written_keys: string;
  /** Hash of the written values at those paths. */
  written_hash: string;
  /** Hash of every hub-relevant attribute when the poll first read the profile back; null before. */
  seen_hash: string | null;
  written_ms: number;
}

export interface FlowTables {
  flow_profile_versions: FlowProfileVersionsTable;
  flow_profile_writes: FlowProfileWritesTable;
  flow_event_marks: FlowEventMarksTable;
}
