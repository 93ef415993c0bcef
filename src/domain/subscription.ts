// Subscription settings (SPEC S2): the fields, their defaults and their rules, as zod schemas that give
// the API's validation, its OpenAPI document and the TypeScript types at once.
import { z } from 'zod';
import { hostKind } from './addresses.ts';
import { DEFAULT_FLOW_SETTINGS, type HubScope } from './hub.ts';

export const INTEGRATION_VERSIONS = ['v1.0'] as const;
export const CURRENT_INTEGRATION_VERSION = 'v1.0';
export const KLAVIYO_API_URL = 'https://a.klaviyo.com';

export const SUBSCRIPTION_DEFAULTS = {
  version: CURRENT_INTEGRATION_VERSION,
  api_url: KLAVIYO_API_URL,
  generate_events: true,
  throttle_limit: 3500,
  throttle_seconds: 60,
  hub_throttle_limit: 6000,
  hub_throttle_seconds: 60,
  concurrent_connections: 10,
  polling_interval_minutes: 5,
  create_default_mappings: true,
  create_missing_lists: false,
} as const;

export const SUBSCRIPTION_STATUSES = [
  'not_connected',
  'connected',
  'needs_authorization',
  'authorization_revoked',
  'error',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export const AUTH_METHODS = ['api_key', 'oauth'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const INITIALIZATION_NOT_SUPPORTED_MESSAGE =
  'Initialization is not supported for Klaviyo: records flow through outbound triggers, polling and manual sync';

/** Outbound data flows (hub scopes) a subscription can turn on or off, with their defaults (SPEC S8.1). */
export const FLOW_SCOPE_DEFAULTS: Readonly<Record<HubScope, boolean>> = DEFAULT_FLOW_SETTINGS;
export type FlowScope = keyof typeof FLOW_SCOPE_DEFAULTS;
export const FLOW_SCOPES = Object.keys(FLOW_SCOPE_DEFAULTS) as FlowScope[];

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/** True for an assigned ISO 3166-1 alpha-2 code (the ICU data Node ships knows their names). */
export function isIsoCountry(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code)) return false;
  // Unassigned and user-assigned codes come back as the code itself.
  return (
    regionNames.of(code) !== code &&
    !['AA', 'QM', 'QZ', 'XA', 'XB', 'XK', 'ZZ', 'EU', 'UN', 'EZ'].includes(code)
  );
}

/** Blank strings mean "not set" for the optional text fields. */
const blankToNull = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? null : v);

const name = z.string().trim().min(1, 'Name is required').max(100, 'Name must be at most 100 characters');
const version = z.enum(INTEGRATION_VERSIONS, {
  error: `Version must be one of: ${INTEGRATION_VERSIONS.join(', ')}`,
});
const apiUrl = z.string().trim().min(1, 'API URL is required').max(300);
const apiKey = z.preprocess(
  blankToNull,
  z
    .string()
    .trim()
    .regex(/^pk_[A-Za-z0-9_-]{6,200}$/, 'API Key must be a Klaviyo private API key (it starts with pk_)')
    .nullable(),
);
const apiRevision = z.preprocess(
  blankToNull,
  z
    .string()
    .trim()
    .regex(
      /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(\.pre)?$/,
      'API Revision must be YYYY-MM-DD or YYYY-MM-DD.pre',
    )
    .nullable(),
);
const positiveInt = (label: string, max: number) =>
  z
    .number({ error: `${label} is required and must be a number` })
    .int(`${label} must be a whole number`)
    .min(1, `${label} must be at least 1`)
    .max(max, `${label} must be at most ${max}`);
const phoneCountry = z.preprocess(
  (v) => (typeof v === 'string' ? blankToNull(v.trim().toUpperCase()) : v),
  z
    .string()
    .refine(isIsoCountry, 'Default phone country must be an ISO 3166 alpha-2 country code, e.g. US or GB')
    .nullable(),
);

const settingsShape = {
  name,
  version,
  api_url: apiUrl,
  api_key: apiKey,
  api_revision: apiRevision,
  generate_events: z.boolean({ error: 'Generate Events must be true or false' }),
  throttle_limit: positiveInt('API Throttle Limit', 1_000_000),
  throttle_seconds: positiveInt('API Throttle Seconds', 86_400),
  hub_throttle_limit: positiveInt('API Throttle Limit (to hub)', 1_000_000),
  hub_throttle_seconds: positiveInt('API Throttle Seconds (to hub)', 86_400),
  concurrent_connections: positiveInt('Concurrent Connections', 100),
  polling_interval_minutes: positiveInt('Polling interval', 10_080),
  default_phone_country: phoneCountry,
  create_missing_lists: z.boolean({ error: 'Create missing lists must be true or false' }),
  auth_method: z.enum(AUTH_METHODS, { error: 'auth_method must be api_key or oauth' }),
};

export const SubscriptionCreateSchema = z.strictObject({
  name: settingsShape.name,
  version: settingsShape.version.default(SUBSCRIPTION_DEFAULTS.version),
  api_url: settingsShape.api_url.default(SUBSCRIPTION_DEFAULTS.api_url),
  api_key: settingsShape.api_key.optional(),
  api_revision: settingsShape.api_revision.optional(),
  generate_events: settingsShape.generate_events.default(SUBSCRIPTION_DEFAULTS.generate_events),
  throttle_limit: settingsShape.throttle_limit.default(SUBSCRIPTION_DEFAULTS.throttle_limit),
  throttle_seconds: settingsShape.throttle_seconds.default(SUBSCRIPTION_DEFAULTS.throttle_seconds),
  hub_throttle_limit: settingsShape.hub_throttle_limit.default(SUBSCRIPTION_DEFAULTS.hub_throttle_limit),
  hub_throttle_seconds: settingsShape.hub_throttle_seconds.default(
    SUBSCRIPTION_DEFAULTS.hub_throttle_seconds,
  ),
  concurrent_connections: settingsShape.concurrent_connections.default(
    SUBSCRIPTION_DEFAULTS.concurrent_connections,
  ),
  polling_interval_minutes: settingsShape.polling_interval_minutes.default(
    SUBSCRIPTION_DEFAULTS.polling_interval_minutes,
  ),
  default_phone_country: settingsShape.default_phone_country.optional(),
  create_missing_lists: settingsShape.create_missing_lists.default(
    SUBSCRIPTION_DEFAULTS.create_missing_lists,
  ),
  auth_method: settingsShape.auth_method.optional(),
  create_default_mappings: z
    .boolean({ error: 'Create Default Mappings must be true or false' })
    .default(SUBSCRIPTION_DEFAULTS.create_default_mappings),
});
export type SubscriptionCreate = z.infer<typeof SubscriptionCreateSchema>;

export const SubscriptionPatchSchema = z.strictObject({
  name: settingsShape.name.optional(),
  version: settingsShape.version.optional(),
  api_url: settingsShape.api_url.optional(),
  api_key: settingsShape.api_key.optional(),
  api_revision: settingsShape.api_revision.optional(),
  generate_events: settingsShape.generate_events.optional(),
  throttle_limit: settingsShape.throttle_limit.optional(),
  throttle_seconds: settingsShape.throttle_seconds.optional(),
  hub_throttle_limit: settingsShape.hub_throttle_limit.optional(),
  hub_throttle_seconds: settingsShape.hub_throttle_seconds.optional(),
  concurrent_connections: settingsShape.concurrent_connections.optional(),
  polling_interval_minutes: settingsShape.polling_interval_minutes.optional(),
  default_phone_country: settingsShape.default_phone_country.optional(),
  create_missing_lists: settingsShape.create_missing_lists.optional(),
  auth_method: settingsShape.auth_method.optional(),
});
export type SubscriptionPatch = z.infer<typeof SubscriptionPatchSchema>;

/** A subscription as the API answers it: secrets masked to their last four characters. */
export const SubscriptionViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  api_url: z.string(),
  api_key: z.string().nullable(),
  api_revision: z.string(),
  /**
   * Set when the revision is retired or expected to retire within 180 days (Klaviyo retires revisions about
   * two years after their date): what will happen and which revision to move to. Null while it is safe.
   */
  api_revision_warning: z.string().nullable(),
  generate_events: z.boolean(),
  throttle_limit: z.number(),
  throttle_seconds: z.number(),
  hub_throttle_limit: z.number(),
  hub_throttle_seconds: z.number(),
  concurrent_connections: z.number(),
  webhook_api_key: z.string(),
  polling_interval_minutes: z.number(),
  default_phone_country: z.string().nullable(),
  create_missing_lists: z.boolean(),
  status: z.enum(SUBSCRIPTION_STATUSES),
  status_message: z.string().nullable(),
  account_id: z.string().nullable(),
  account_name: z.string().nullable(),
  auth_method: z.enum(AUTH_METHODS),
  access_token: z.string().nullable(),
  refresh_token: z.string().nullable(),
  access_token_expires_at: z.string().nullable(),
  checked_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type SubscriptionView = z.infer<typeof SubscriptionViewSchema>;

export type AllowedApiUrl = { ok: true; url: string } | { ok: false; message: string };

/**
 * The API URL allow-list (SPEC S2, no SSRF): Klaviyo's own origin, or — when the service runs with
 * sandbox URLs allowed — a loopback http origin. Answers the normalized origin.
 */
export function checkApiUrl(input: string, allowSandbox: boolean): AllowedApiUrl {
  const refuse = (): AllowedApiUrl => ({
    ok: false,
    message: allowSandbox
      ? `API URL must be ${KLAVIYO_API_URL} or a local sandbox such as http://127.0.0.1:<port>.`
      : `API URL must be ${KLAVIYO_API_URL}. (A local sandbox URL is accepted only when the service runs with KLAVIYO_SYNC_ALLOW_SANDBOX_URLS=1.)`,
  });
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return refuse();
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== ''))
    return refuse();
  if (url.origin === KLAVIYO_API_URL) return { ok: true, url: KLAVIYO_API_URL };
  // Loopback by the service-wide address rule (every spelling of it), as webhook URLs are judged.
  if (allowSandbox && url.protocol === 'http:' && hostKind(url.hostname) === 'loopback')
    return { ok: true, url: url.origin };
  return refuse();
}
