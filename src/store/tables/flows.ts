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

export interface FlowTables {
  flow_profile_versions: FlowProfileVersionsTable;
  flow_event_marks: FlowEventMarksTable;
}
