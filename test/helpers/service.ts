// Starts a whole service for a test: a temp data folder (or a PostgreSQL schema of its own), port 0,
// the admin signed in with an API token, and a small JSON client. Other areas' tests use it: keep the
// signature.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createService, type Service } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { ServiceContext } from '../../src/service/context.ts';

export interface TestServiceOptions {
  env?: Record<string, string>;
  /** Use PostgreSQL (TEST_DATABASE_URL) in a schema of its own; the caller skips when it is unset. */
  postgres?: boolean;
  /** The service clock (default Date.now); OAuth tests move it to cross token expiry. */
  now?: () => number;
}

export interface ApiAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers freely
  body: any;
  headers: Headers;
}

export interface TestService {
  baseUrl: string;
  ctx: ServiceContext;
  service: Service;
  adminToken: string;
  adminPassword: string;
  dataDir: string;
  /** Every log line written so far (JSON lines). */
  logs(): string;
  /** Sends a JSON request with the admin's Bearer token. */
  api(method: string, urlPath: string, body?: unknown): Promise<ApiAnswer>;
  close(): Promise<void>;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export async function startTestService(opts: TestServiceOptions = {}): Promise<TestService> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-test-'));
  const adminPassword = `pw-${randomBytes(12).toString('hex')}`;
  if (opts.postgres && !TEST_DATABASE_URL) throw new Error('postgres: true needs TEST_DATABASE_URL');
  const env: Record<string, string> = {
    KLAVIYO_SYNC_PORT: '0',
    KLAVIYO_SYNC_HOST: '127.0.0.1',
    KLAVIYO_SYNC_DATA_DIR: dataDir,
    KLAVIYO_SYNC_ADMIN_PASSWORD: adminPassword,
    KLAVIYO_SYNC_LOG_LEVEL: 'info',
    ...(opts.postgres && TEST_DATABASE_URL ? { DATABASE_URL: TEST_DATABASE_URL } : {}),
    ...opts.env,
  };
  const config = loadConfig(env);
  const pgSchema = opts.postgres ? `test_${randomBytes(6).toString('hex')}` : undefined;
  let logText = '';
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => {
    logText += chunk.toString('utf8');
  });
  const service = await createService(config, { pgSchema, logStream, now: opts.now });
  const started = await service.start();
  const baseUrl = started;

  async function request(
    method: string,
    urlPath: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<ApiAnswer> {
    const res = await fetch(`${baseUrl}${urlPath}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  const login = await request('POST', '/api/v1/session', { username: 'admin', password: adminPassword }, {});
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const made = await request(
    'POST',
    '/api/v1/tokens',
    { name: 'test' },
    { cookie, 'x-csrf-token': login.body?.csrf_token ?? '' },
  );
  if (made.status !== 201) throw new Error(`test service: could not make an API token (${made.status})`);
  const adminToken: string = made.body.token;

  return {
    baseUrl,
    ctx: service.ctx,
    service,
    adminToken,
    adminPassword,
    dataDir,
    logs: () => logText,
    api: (method, urlPath, body) => request(method, urlPath, body, { authorization: `Bearer ${adminToken}` }),
    async close() {
      await service.stop();
      if (pgSchema && TEST_DATABASE_URL) {
        const pg = (await import('pg')).default;
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
