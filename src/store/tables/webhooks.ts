// Outbound hub webhook endpoints; their deliveries are transfers of the `hub-webhook` flow.

export interface HubWebhooksTable {
  id: string;
  url: string;
  /** JSON array of event names, e.g. ["customer/created","customer/updated"]. */
  events: string;
  /** JSON array of subscription ids whose changes are sent; null: every subscription. */
  subscription_ids: string | null;
  enabled: number;
  /** The signing secret, encrypted with the service's secret key. */
  secret_enc: string;
  secret_last4: string;
  created_at: string;
  updated_at: string;
}

export interface WebhookTables {
  hub_webhooks: HubWebhooksTable;
}
