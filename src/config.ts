// Service configuration from the environment (SPEC S8.1), validated with zod so a bad value stops the
// start with a message naming the variable and saying what is expected. docs/configuration.md lists them.
import { isIP } from 'node:net';
import { z } from 'zod';

const FLAG_VALUES = ['1', '0', 'true', 'false', 'yes', 'no', ''];

const boolFlag = (name: string) =>
  z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || FLAG_VALUES.includes(v.toLowerCase()),
      `${name} must be 1 or 0 (or true/false)`,
    )
    .transform((v) => ['1', 'true', 'yes'].includes((v ?? '').toLowerCase()));

const httpUrl = (name: string) =>
  z.string().refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, `${name} must be an http(s) URL such as https://sync.example.com`);

const TRUST_PROXY_HELP =
  'KLAVIYO_SYNC_TRUST_PROXY must be 1/true (trust every proxy), 0/false, a hop count (2 or more), or a comma-separated list of proxy addresses or CIDRs such as 10.0.0.0/8,192.168.1.10';

/** One address or CIDR (`10.0.0.0/8`, `fd00::/8`) of a proxy to trust. */
function proxyAddress(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Fastify's `trustProxy`: which X-Forwarded-For hops decide a request's client address. */
export type TrustProxy = boolean | number | string[];

function parseTrustProxy(raw: string | undefined): TrustProxy | null {
  const text = (raw ?? '').trim().toLowerCase();
  if (['', '0', 'false', 'no'].includes(text)) return false;
  if (['1', 'true', 'yes'].includes(text)) return true;
  if (/^\d+$/.test(text)) return Number(text) <= 100 ? Number(text) : null;
  const list = text.split(',').map((entry) => entry.trim());
  return list.every(proxyAddress) ? list : null;
}

const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const ConfigSchema = z
  .object({
    KLAVIYO_SYNC_PORT: z.preprocess(
      blankIsUnset,
      z.coerce
        .number({ error: 'KLAVIYO_SYNC_PORT must be a port number (0-65535)' })
        .int('KLAVIYO_SYNC_PORT must be a whole number')
        .min(0, 'KLAVIYO_SYNC_PORT must be 0-65535')
        .max(65535, 'KLAVIYO_SYNC_PORT must be 0-65535')
        .default(3000),
    ),
    KLAVIYO_SYNC_HOST: z.preprocess(blankIsUnset, z.string().default('127.0.0.1')),
    KLAVIYO_SYNC_DATA_DIR: z.preprocess(blankIsUnset, z.string().default('./data')),
    DATABASE_URL: z.preprocess(
      blankIsUnset,
      z
        .string()
        .regex(
          /^postgres(ql)?:\/\/\S+$/,
          'DATABASE_URL must be a PostgreSQL URL: postgres://user:password@host:5432/database',
        )
        .optional(),
    ),
    KLAVIYO_SYNC_PUBLIC_URL: z.preprocess(blankIsUnset, httpUrl('KLAVIYO_SYNC_PUBLIC_URL').optional()),
    KLAVIYO_SYNC_SECRET_KEY: z.preprocess(blankIsUnset, z.string().optional()),
    KLAVIYO_SYNC_ADMIN_PASSWORD: z.preprocess(
      blankIsUnset,
      z.string().min(8, 'KLAVIYO_SYNC_ADMIN_PASSWORD must be at least 8 characters').optional(),
    ),
    KLAVIYO_OAUTH_CLIENT_ID: z.preprocess(blankIsUnset, z.string().optional()),
    KLAVIYO_OAUTH_CLIENT_SECRET: z.preprocess(blankIsUnset, z.string().optional()),
    KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: boolFlag('KLAVIYO_SYNC_ALLOW_SANDBOX_URLS'),
    KLAVIYO_SYNC_METRICS_TOKEN: z.preprocess(
      blankIsUnset,
      z.string().min(16, 'KLAVIYO_SYNC_METRICS_TOKEN must be at least 16 characters').optional(),
    ),
    KLAVIYO_SYNC_METRICS_PUBLIC: boolFlag('KLAVIYO_SYNC_METRICS_PUBLIC'),
    KLAVIYO_SYNC_TRUST_PROXY: z
      .string()
      .optional()
      .refine((v) => parseTrustProxy(v) !== null, TRUST_PROXY_HELP)
      .transform((v) => parseTrustProxy(v) ?? false),
    KLAVIYO_SYNC_LOG_LEVEL: z.preprocess(
      blankIsUnset,
      z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
          error: 'KLAVIYO_SYNC_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
        })
        .default('info'),
    ),
  })
  .superRefine((e, ctx) => {
    if (!!e.KLAVIYO_OAUTH_CLIENT_ID !== !!e.KLAVIYO_OAUTH_CLIENT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: [e.KLAVIYO_OAUTH_CLIENT_ID ? 'KLAVIYO_OAUTH_CLIENT_SECRET' : 'KLAVIYO_OAUTH_CLIENT_ID'],
        message:
          'KLAVIYO_OAUTH_CLIENT_ID and KLAVIYO_OAUTH_CLIENT_SECRET go together: set both (from your Klaviyo app) or neither',
      });
    }
  });

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  /** Where people and Klaviyo reach the service; the OAuth redirect URI is `<publicUrl>/oauth/callback`. */
  publicUrl: string;
  secretKey?: string;
  adminPassword?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  allowSandboxUrls: boolean;
  /** A bearer token a Prometheus scraper may send to /metrics (besides API tokens and sessions). */
  metricsToken?: string;
  /** /metrics answers anyone (set on purpose, for a scraper on a private network). */
  metricsPublic: boolean;
  /** Behind a reverse proxy: whose X-Forwarded-For to believe for the client address (off by default). */
  trustProxy: TrustProxy;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || 'environment'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.KLAVIYO_SYNC_PORT,
    host: e.KLAVIYO_SYNC_HOST,
    dataDir: e.KLAVIYO_SYNC_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    publicUrl: (e.KLAVIYO_SYNC_PUBLIC_URL ?? `http://localhost:${e.KLAVIYO_SYNC_PORT}`).replace(/\/+$/, ''),
    secretKey: e.KLAVIYO_SYNC_SECRET_KEY,
    adminPassword: e.KLAVIYO_SYNC_ADMIN_PASSWORD,
    oauthClientId: e.KLAVIYO_OAUTH_CLIENT_ID,
    oauthClientSecret: e.KLAVIYO_OAUTH_CLIENT_SECRET,
    allowSandboxUrls: e.KLAVIYO_SYNC_ALLOW_SANDBOX_URLS,
    metricsToken: e.KLAVIYO_SYNC_METRICS_TOKEN,
    metricsPublic: e.KLAVIYO_SYNC_METRICS_PUBLIC,
    trustProxy: e.KLAVIYO_SYNC_TRUST_PROXY,
    logLevel: e.KLAVIYO_SYNC_LOG_LEVEL,
  };
}
