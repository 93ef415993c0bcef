// The subscription settings of SPEC S2 as data: label, default, required mark and the help text the
// form shows. The API is the judge of validity; the form shows its verdict next to the field.

export type FieldKind = 'text' | 'password' | 'number' | 'checkbox' | 'select' | 'url';

export interface SettingsField {
  key: string;
  label: string;
  kind: FieldKind;
  required?: boolean;
  default?: string | number | boolean;
  options?: string[];
  hint?: string;
  placeholder?: string;
  min?: number;
  onCreateOnly?: boolean;
  group: 'connection' | 'behaviour' | 'throttling';
}

export const DEFAULT_API_URL = 'https://a.klaviyo.com';
// The console bundle takes no server code (its build hash covers src/web only), so the client's default
// revision (src/klaviyo/revisions.ts) is repeated here; a test keeps the two equal.
export const DEFAULT_REVISION = '2026-07-15';
export const VERSIONS = ['v1.0'];

export const SETTINGS_FIELDS: SettingsField[] = [
  {
    key: 'name',
    label: 'Name',
    kind: 'text',
    required: true,
    group: 'connection',
    hint: 'Unique in this service; 1–100 characters.',
  },
  {
    key: 'version',
    label: 'Version',
    kind: 'select',
    required: true,
    default: VERSIONS[0],
    options: VERSIONS,
    group: 'connection',
  },
  {
    key: 'api_url',
    label: 'API URL',
    kind: 'url',
    required: true,
    default: DEFAULT_API_URL,
    group: 'connection',
    hint: 'Klaviyo’s API address. Other addresses are refused unless the service allows a local sandbox.',
  },
  {
    key: 'api_key',
    label: 'API Key',
    kind: 'password',
    group: 'connection',
    placeholder: 'pk_…',
    hint: 'A Klaviyo private key, made in Klaviyo under Settings > Account > API Keys > Create Private API Key (full access). Write-only: it is stored encrypted and shown masked. OAuth (Authenticate) is the safer choice and gets its own rate-limit quota.',
  },
  {
    key: 'api_revision',
    label: 'API Revision',
    kind: 'text',
    default: DEFAULT_REVISION,
    placeholder: DEFAULT_REVISION,
    group: 'connection',
    hint: 'YYYY-MM-DD or YYYY-MM-DD.pre; blank means the default.',
  },
  {
    key: 'generate_events',
    label: 'Generate Events',
    kind: 'checkbox',
    default: true,
    group: 'behaviour',
    hint: 'When off, order events are skipped (the transfer log says why).',
  },
  {
    key: 'default_phone_country',
    label: 'Default phone country',
    kind: 'text',
    group: 'behaviour',
    placeholder: 'US',
    hint: 'ISO 3166 alpha-2 code used to turn local phone numbers into E.164.',
  },
  {
    key: 'polling_interval_minutes',
    label: 'Polling interval (minutes)',
    kind: 'number',
    required: true,
    default: 5,
    min: 1,
    group: 'behaviour',
    hint: 'How often Klaviyo profiles are polled; 1 minimum.',
  },
  {
    key: 'create_missing_lists',
    label: 'Create missing lists',
    kind: 'checkbox',
    default: false,
    group: 'behaviour',
    hint: 'When a LIST_/UCLIST_ mapping names a list Klaviyo does not have, create it (Klaviyo allows 150 a day) instead of failing the record.',
  },
  {
    key: 'create_default_mappings',
    label: 'Create Default Mappings',
    kind: 'checkbox',
    default: true,
    onCreateOnly: true,
    group: 'behaviour',
    hint: 'Creates the default mapping collections for customers, orders and products.',
  },
  {
    key: 'throttle_limit',
    label: 'API Throttle Limit',
    kind: 'number',
    required: true,
    default: 3500,
    min: 1,
    group: 'throttling',
    hint: 'Calls to Klaviyo per window, on top of Klaviyo’s own limits.',
  },
  {
    key: 'throttle_seconds',
    label: 'API Throttle Seconds',
    kind: 'number',
    required: true,
    default: 60,
    min: 1,
    group: 'throttling',
    hint: 'Length of that window in seconds.',
  },
  {
    key: 'hub_throttle_limit',
    label: 'API Throttle Limit (to hub)',
    kind: 'number',
    required: true,
    default: 6000,
    min: 1,
    group: 'throttling',
    hint: 'Writes into the hub per window.',
  },
  {
    key: 'hub_throttle_seconds',
    label: 'API Throttle Seconds (to hub)',
    kind: 'number',
    required: true,
    default: 60,
    min: 1,
    group: 'throttling',
    hint: 'Length of that window in seconds.',
  },
  {
    key: 'concurrent_connections',
    label: 'Concurrent Connections',
    kind: 'number',
    required: true,
    default: 10,
    min: 1,
    group: 'throttling',
    hint: 'Requests in flight to Klaviyo at once.',
  },
];

export const GROUP_TITLES: Record<SettingsField['group'], string> = {
  connection: 'Connection',
  behaviour: 'Behaviour',
  throttling: 'Throttling',
};

/** The API names a field as `throttle_limit`, `body.throttle_limit` or `/throttle_limit`; the form wants the key. */
export function fieldKey(field: string | undefined): string | undefined {
  if (!field) return undefined;
  return field
    .replace(/^body[./]/, '')
    .replace(/^\//, '')
    .replace(/\//g, '.');
}
