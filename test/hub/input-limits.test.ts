// Bad input is a 400 naming the field, the same on SQLite and PostgreSQL, never a 500: values nested too
// deep or too large in free-form fields, NUL and unpaired surrogates in any stored string, and an NDJSON
// import that reports every line it did not store while the good lines after it still go in.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { importNdjson } from '../../src/hub/import.ts';
import { HubStore, type WriteOptions } from '../../src/hub/store.ts';
import type { HubKind } from '../../src/domain/hub.ts';
import { openStore } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { startTestService, TEST_DATABASE_URL } from '../helpers/service.ts';

/** `{"v":[[[…1…]]]}` nested `depth` arrays deep, built as text (building it as a value is the same). */
function deepText(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

async function rawApi(
  baseUrl: string,
  token: string,
  method: string,
  url: string,
  body: string,
  type = 'application/json',
) {
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers freely
  return { status: res.status, body: parsed as any };
}

const stores = [
  { name: 'sqlite', postgres: false },
  ...(TEST_DATABASE_URL ? [{ name: 'postgres', postgres: true }] : []),
];

for (const store of stores) {
  describe(`input limits (${store.name})`, () => {
    test('deep, large and unstorable values are 400s naming the field; nothing is stored', async () => {
      const svc = await startTestService({
        postgres: store.postgres,
        env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' },
      });
      try {
        const deep = await rawApi(
          svc.baseUrl,
          svc.adminToken,
          'PUT',
          '/api/v1/customers/deep-1',
          `{"first_name":"A","extension_fields":[{"key":"k","value":${deepText(20_000)}}]}`,
        );
        assert.equal(deep.status, 400, JSON.stringify(deep.body).slice(0, 300));
        assert.equal(deep.body.error.code, 'INPUT_TOO_DEEP');
        assert.match(deep.body.error.field, /^extension_fields\[0\]\.value/);

        const nested = await rawApi(
          svc.baseUrl,
          svc.adminToken,
          'PUT',
          '/api/v1/customers/deep-2',
          `{"first_name":"A","extension_fields":[{"key":"k","value":${deepText(20)}}]}`,
        );
        assert.equal(nested.status, 400);
        assert.equal(nested.body.error.code, 'VALIDATION_FAILED');
        assert.equal(nested.body.error.field, 'extension_fields[0].value');
        assert.match(nested.body.error.message, /at most 16 levels/);

        const large = await svc.api('PUT', '/api/v1/customers/large-1', {
          extension_fields: [{ key: 'k', value: { text: 'x'.repeat(40_000) } }],
        });
        assert.equal(large.status, 400);
        assert.equal(large.body.error.field, 'extension_fields[0].value');
        assert.match(large.body.error.message, /32,768 characters/);

        const batch = await rawApi(
          svc.baseUrl,
          svc.adminToken,
          'POST',
          '/api/v1/customers/batch',
          `{"records":[{"id":"b1"},{"id":"b2","extension_fields":[{"key":"k","value":${deepText(20_000)}}]}]}`,
        );
        assert.equal(batch.status, 400);
        assert.match(batch.body.error.field, /^records\[1\]\.extension_fields\[0\]\.value/);

        for (const [field, bad] of [
          ['first_name', 'Ann\u0000'],
          ['email_address', 'a\u0000@example.com'],
          ['last_name', 'x\ud800y'],
        ] as const) {
          const put = await svc.api('PUT', '/api/v1/customers/nul-1', { [field]: bad });
          assert.equal(put.status, 400, `${field}: ${JSON.stringify(put.body)}`);
          assert.equal(put.body.error.code, 'INPUT_CHARACTER_NOT_ALLOWED');
          assert.equal(put.body.error.field, field);
        }
        const key = await rawApi(
          svc.baseUrl,
          svc.adminToken,
          'PUT',
          '/api/v1/customers/nul-2',
          '{"extension_fields":[{"key":"k","value":{"a\\u0000":1}}]}',
        );
        assert.equal(key.status, 400);
        assert.equal(key.body.error.code, 'INPUT_CHARACTER_NOT_ALLOWED');

        for (const id of ['deep-1', 'deep-2', 'large-1', 'b1', 'nul-1', 'nul-2']) {
          assert.equal((await svc.api('GET', `/api/v1/customers/${id}`)).status, 404, `${id} not stored`);
        }

        // Before sign-in, a subscription name, a token name: the same 400.
        const signIn = await fetch(`${svc.baseUrl}/api/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'adm\u0000in', password: 'x' }),
        });
        assert.equal(signIn.status, 400);
        assert.equal(
          ((await signIn.json()) as { error: { code: string } }).error.code,
          'INPUT_CHARACTER_NOT_ALLOWED',
        );
        const sub = await svc.api('POST', '/api/v1/subscriptions', {
          name: 'Shop\u0000',
          api_url: 'https://a.klaviyo.com',
          auth_method: 'api_key',
        });
        assert.equal(sub.status, 400);
        assert.equal(sub.body.error.field, 'name');
        const token = await svc.api('POST', '/api/v1/tokens', { name: 'ci\ud800' });
        assert.equal(token.status, 400);
        assert.equal(token.body.error.field, 'name');
        const query = await svc.api('GET', '/api/v1/transfers?record=a%00b');
        assert.equal(query.status, 400);
        assert.equal(query.body.error.field, 'record');
        const param = await svc.api('GET', '/api/v1/subscriptions/a%00b');
        assert.equal(param.status, 400);
      } finally {
        await svc.close();
      }
    });

    test('an NDJSON import of 1,500 lines with a bad line at 700 stores 1,499 and reports line 700', async () => {
      const svc = await startTestService({
        postgres: store.postgres,
        env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' },
      });
      try {
        const lines: string[] = [];
        for (let i = 1; i <= 1500; i++) {
          lines.push(
            i === 700
              ? `{"id":"n${i}","extension_fields":[{"key":"k","value":${deepText(20_000)}}]}`
              : JSON.stringify({ id: `n${i}`, email_address: `n${i}@example.com` }),
          );
        }
        const res = await rawApi(
          svc.baseUrl,
          svc.adminToken,
          'POST',
          '/api/v1/customers/import',
          lines.join('\n'),
          'application/x-ndjson',
        );
        assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
        assert.equal(res.body.lines, 1500);
        assert.equal(res.body.accepted, 1499);
        assert.equal(res.body.rejected, 1);
        assert.equal(res.body.errors[0].line, 700);
        assert.match(res.body.errors[0].field, /^extension_fields\[0\]\.value/);
        const stored = await svc.ctx.store.db
          .selectFrom('hub_records')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('kind', '=', 'customer')
          .executeTakeFirstOrThrow();
        assert.equal(Number(stored.n), 1499);
        assert.ok(await svc.ctx.hub!.get('customer', 'n1500'), 'lines after the bad one are stored');
      } finally {
        await svc.close();
      }
    });
  });
}

test('a chunk the store refuses is written in halves: only the line it cannot store is lost, and reported', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ks-import-'));
  const store = openStore({ dataDir: dir, sqliteFile: 'hub.db' });
  await migrate(store);
  // A store that fails any write holding record n900 (as a driver error would, not a validation one).
  class FailingHub extends HubStore {
    override async upsertMany(kind: HubKind, inputs: Record<string, unknown>[], options?: WriteOptions) {
      if (inputs.some((r) => r.id === 'n900')) throw new Error('simulated driver failure');
      return super.upsertMany(kind, inputs, options);
    }
  }
  try {
    const hub = new FailingHub(store);
    const text = Array.from({ length: 1500 }, (_, i) => JSON.stringify({ id: `n${i + 1}` })).join('\n');
    const failures: number[] = [];
    const report = await importNdjson(
      hub,
      'customer',
      (async function* () {
        yield Buffer.from(text);
      })(),
      {
        onStoreError: (_err, line) => failures.push(line),
      },
    );
    assert.equal(report.accepted, 1499);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [900],
    );
    assert.match(report.errors[0]!.message, /could not be stored/);
    assert.deepEqual(failures, [900]);
    assert.ok(await hub.get('customer', 'n1500'));
    assert.ok(await hub.get('customer', 'n899'));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
