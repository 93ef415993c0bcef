// Service configuration from the environment (SPEC S8.1), validated with zod so a bad value stops the
// start with a message naming the variable.
import { z } from 'zod';

const boolFlag = z
  .string()
  .optional()
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const ConfigSchema = z.object({
  KLAVIYO_SYNC_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  KLAVIYO_SYNC_HOST: z.string().default('127.0.0.1'),
  KLAVIYO_SYNC_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().url().optional(),
  KLAVIYO_SYNC_PUBLIC_URL: z.string().url().optional(),
  KLAVIYO_SYNC_SECRET_KEY: z.string().optional(),
  KLAVIYO_SYNC_ADMIN_PASSWORD: z.string().min(8).optional(),
  KLAVIYO_OAUTH_CLIENT_ID: z.string().optional(),
  KLAVIYO_OAUTH_CLIENT_SECRET: z.string().optional(),
  KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: boolFlag,
  KLAVIYO_SYNC_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  publicUrl: string;
  secretKey?: string;
  adminPassword?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  allowSandboxUrls: boolean;
  logLevel: z.infer<typeof ConfigSchema>['KLAVIYO_SYNC_LOG_LEVEL'];
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.KLAVIYO_SYNC_PORT,
    host: e.KLAVIYO_SYNC_HOST,
    dataDir: e.KLAVIYO_SYNC_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    publicUrl: (e.KLAVIYO_SYNC_PUBLIC_URL ?? `http://localhost:${e.KLAVIYO_SYNC_PORT}`).replace(/\/$/, ''),
    secretKey: e.KLAVIYO_SYNC_SECRET_KEY,
    adminPassword: e.KLAVIYO_SYNC_ADMIN_PASSWORD,
    oauthClientId: e.KLAVIYO_OAUTH_CLIENT_ID,
    oauthClientSecret: e.KLAVIYO_OAUTH_CLIENT_SECRET,
    allowSandboxUrls: e.KLAVIYO_SYNC_ALLOW_SANDBOX_URLS,
    logLevel: e.KLAVIYO_SYNC_LOG_LEVEL,
  };
}
