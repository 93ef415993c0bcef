// Alerts (src/alerts) and the queue depth samples behind subscription health (src/health).

export interface AlertChannelsTable {
  /** 'email' or 'slack'. */
  id: string;
  enabled: number;
  /** JSON of the channel's settings without its secret. */
  config: string;
  /** The SMTP password or the Slack-style webhook URL, encrypted with the service's secret key. */
  secret_enc: string | null;
  secret_last4: string | null;
  updated_at: string;
}

export interface AlertRulesTable {
  subscription_id: string;
  paused_enabled: number;
  dead_enabled: number;
  failure_window_minutes: number;
  max_failures: number | null;
  max_failure_percent: number | null;
  min_transfers: number;
  /** JSON array of extra email recipients for this subscription's alerts, or null. */
  email_to: string | null;
  updated_at: string;
}

export interface AlertsTable {
  id: string;
  /** Null for a test alert. */
  subscription_id: string | null;
  /** 'paused', 'dead_transfers', 'failure_rate' or 'test'. */
  kind: string;
  /** 'open' or 'resolved'. */
  state: string;
  code: string | null;
  title: string;
  message: string;
  /** JSON: the figures behind the alert (counts, window, thresholds). */
  details: string;
  opened_at: string;
  resolved_at: string | null;
  resolution: string | null;
  updated_at: string;
}

export interface AlertNotificationsTable {
  id: string;
  alert_id: string;
  /** 'opened', 'resolved' or 'test'. */
  event: string;
  /** 'email', 'slack' or 'webhook'. */
  channel: string;
  /** The webhook endpoint id; '' for email and Slack. */
  target: string;
  /** 'pending', 'sent' or 'failed'. */
  state: string;
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
  error: string | null;
  sent_at: string | null;
  created_at: string;
}

export interface QueueDepthSamplesTable {
  /** '' for the whole service. */
  subscription_id: string;
  /** Epoch seconds of the minute's start. */
  minute: number;
  /** The most transfers seen waiting or running during the minute. */
  peak: number;
  /** The figure at the minute's last sample. */
  last: number;
}

export interface AlertTables {
  alert_channels: AlertChannelsTable;
  alert_rules: AlertRulesTable;
  alerts: AlertsTable;
  alert_notifications: AlertNotificationsTable;
  queue_depth_samples: QueueDepthSamplesTable;
}
