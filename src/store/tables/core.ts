// Tables of users, sessions, API tokens, service settings, subscriptions, outbound flow toggles, OAuth
// state and tokens. Secrets live only in `*_enc` columns (AES-256-GCM, see src/secrets); tokens a person
// presents (sessions, API tokens, setup links, OAuth state) are stored as SHA-256 hashes.

export interface UsersTable {
  id: string;
  username: string;
  /** scrypt hash: `scrypt$N$r$p$salt$hash` (base64). */
  password_hash: string;
  created_at: string;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie value. */
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  /** Epoch ms. */
  expires_at: number;
}

/** Sign-in tries in the current window, per SHA-256 of (client address, user name). */
export interface LoginAttemptsTable {
  key_hash: string;
  tries: number;
  /** Epoch ms when the window ends. */
  window_ends: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
}

export interface SetupTokensTable {
  token_hash: string;
  expires_at: number;
  used_at: string | null;
}

export interface ServiceSettingsTable {
  key: string;
  value: string;
}

export interface SubscriptionsTable {
  id: string;
  name: string;
  version: string;
  api_url: string;
  api_key_enc: string | null;
  /** Last 4 characters of the API key, for the masked display (the full key exists only encrypted). */
  api_key_last4: string | null;
  api_revision: string | null;
  generate_events: number;
  throttle_limit: number;
  throttle_seconds: number;
  hub_throttle_limit: number;
  hub_throttle_seconds: number;
  concurrent_connections: number;
  webhook_key_enc: string;
  polling_interval_minutes: number;
  default_phone_country: string | null;
  create_missing_lists: number;
  auth_method: string;
  status: string;
  status_message: string | null;
  account_id: string | null;
  account_name: string | null;
  checked_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SubscriptionFlowsTable {
  subscription_id: string;
  scope: string;
  enabled: number;
}

export interface OAuthStatesTable {
  state_hash: string;
  subscription_id: string;
  user_id: string;
  code_verifier_enc: string;
  /** Epoch ms. */
  expires_at: number;
  used_at: string | null;
}

export interface OAuthTokensTable {
  subscription_id: string;
  access_token_enc: string;
  refresh_token_enc: string;
  access_token_last4: string;
  refresh_token_last4: string;
  /** Epoch ms. */
  access_token_expires_at: number;
  scope: string | null;
  /** Bumped on every write, so a reader can tell its copy is stale. */
  generation: number;
  /** Refresh lease: who holds it and until when (epoch ms); the cross-process single-flight lock. */
  lease_owner: string | null;
  lease_until: number | null;
  /** Epoch ms before which no refresh is tried again after a failed one. */
  refresh_blocked_until: number | null;
  updated_at: string;
}

export interface CoreTables {
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_attempts: LoginAttemptsTable;
  setup_tokens: SetupTokensTable;
  service_settings: ServiceSettingsTable;
  subscriptions: SubscriptionsTable;
  subscription_flows: SubscriptionFlowsTable;
  oauth_states: OAuthStatesTable;
  oauth_tokens: OAuthTokensTable;
}
