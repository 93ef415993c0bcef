// Every subscription setting's rule (docs/configuration.md): the bad value gets 400 with the field and a stable code; defaults; masking.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../helpers/service.ts';

describe('subscription settings rules', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService();
  });
  after(async () => {
    await svc.close();
  });

  test('a new subscription gets the default settings, a generated webhook key shown once, and no key means not_connected', async () => {
    const res = await svc.api('POST', '/api/v1/subscriptions', { name: 'Defaults' });
    assert.equal(res.status, 201);
    const s = res.body;
    assert.equal(s.version, 'v1.0');
    assert.equal(s.api_url, 'https://a.klaviyo.com');
    assert.equal(s.api_revision, '2026-07-15');
    assert.equal(s.generate_events, true);
    assert.equal(s.throttle_limit, 3500);
    assert.equal(s.throttle_seconds, 60);
    assert.equal(s.hub_throttle_limit, 6000);
    assert.equal(s.hub_throttle_seconds, 60);
    assert.equal(s.concurrent_connections, 10);
    assert.equal(s.polling_interval_minutes, 5);
    assert.equal(s.default_phone_country, null);
    assert.equal(s.status, 'not_connected');
    assert.equal(s.auth_method, 'api_key');
    assert.ok(s.webhook_api_key.length >= 43, 'a 32-byte key in full, once');
    const read = await svc.api('GET', `/api/v1/subscriptions/${s.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.webhook_api_key, `••••${s.webhook_api_key.slice(-4)}`);
    const list = await svc.api('GET', '/api/v1/subscriptions');
    assert.ok(list.body.data.some((x: { id: string }) => x.id === s.id));
    assert.equal(list.body.next_cursor, null);
  });

  const cases: Array<[string, Record<string, unknown>, string, string?]> = [
    ['name missing', {}, 'name'],
    ['name empty', { name: '   ' }, 'name'],
    ['name too long', { name: 'x'.repeat(101) }, 'name'],
    ['unknown version', { name: 'v', version: 'v9.9' }, 'version'],
    [
      'API URL elsewhere',
      { name: 'u1', api_url: 'https://evil.example.com' },
      'api_url',
      'API_URL_NOT_ALLOWED',
    ],
    [
      'API URL internal address',
      { name: 'u2', api_url: 'http://169.254.169.254' },
      'api_url',
      'API_URL_NOT_ALLOWED',
    ],
    [
      'API URL loopback without sandbox mode',
      { name: 'u3', api_url: 'http://127.0.0.1:9999' },
      'api_url',
      'API_URL_NOT_ALLOWED',
    ],
    [
      'API URL with a path',
      { name: 'u4', api_url: 'https://a.klaviyo.com/api' },
      'api_url',
      'API_URL_NOT_ALLOWED',
    ],
    ['API URL not a URL', { name: 'u5', api_url: 'klaviyo' }, 'api_url', 'API_URL_NOT_ALLOWED'],
    ['API key not a private key', { name: 'k', api_key: 'sk_live_123456' }, 'api_key'],
    ['API revision format', { name: 'r1', api_revision: '15-07-2026' }, 'api_revision'],
    ['API revision bad suffix', { name: 'r2', api_revision: '2026-07-15.beta' }, 'api_revision'],
    ['generate_events not boolean', { name: 'g', generate_events: 'yes' }, 'generate_events'],
    ['throttle_limit zero', { name: 't1', throttle_limit: 0 }, 'throttle_limit'],
    ['throttle_limit null (required)', { name: 't2', throttle_limit: null }, 'throttle_limit'],
    ['throttle_limit fractional', { name: 't3', throttle_limit: 1.5 }, 'throttle_limit'],
    ['throttle_seconds zero', { name: 't4', throttle_seconds: 0 }, 'throttle_seconds'],
    ['hub_throttle_limit zero', { name: 'h1', hub_throttle_limit: 0 }, 'hub_throttle_limit'],
    ['hub_throttle_seconds negative', { name: 'h2', hub_throttle_seconds: -5 }, 'hub_throttle_seconds'],
    ['concurrent_connections zero', { name: 'c1', concurrent_connections: 0 }, 'concurrent_connections'],
    ['concurrent_connections null', { name: 'c2', concurrent_connections: null }, 'concurrent_connections'],
    [
      'polling interval below 1 minute',
      { name: 'p', polling_interval_minutes: 0 },
      'polling_interval_minutes',
    ],
    ['phone country not alpha-2', { name: 'd1', default_phone_country: 'USA' }, 'default_phone_country'],
    ['phone country unassigned', { name: 'd2', default_phone_country: 'ZZ' }, 'default_phone_country'],
    [
      'create_default_mappings not boolean',
      { name: 'm', create_default_mappings: 'no' },
      'create_default_mappings',
    ],
    ['webhook key cannot be chosen', { name: 'w', webhook_api_key: 'mine' }, 'webhook_api_key'],
  ];
  for (const [label, body, field, code] of cases) {
    test(`refused: ${label}`, async () => {
      const res = await svc.api('POST', '/api/v1/subscriptions', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code ?? 'VALIDATION_FAILED');
      assert.equal(res.body.error.field, field);
      assert.ok(res.body.error.message.length > 10);
    });
  }

  test('names are unique (create and rename)', async () => {
    assert.equal((await svc.api('POST', '/api/v1/subscriptions', { name: 'Unique' })).status, 201);
    const dup = await svc.api('POST', '/api/v1/subscriptions', { name: 'Unique' });
    assert.equal(dup.status, 400);
    assert.equal(dup.body.error.code, 'SUBSCRIPTION_NAME_TAKEN');
    assert.equal(dup.body.error.field, 'name');
    const other = await svc.api('POST', '/api/v1/subscriptions', { name: 'Other' });
    const rename = await svc.api('PATCH', `/api/v1/subscriptions/${other.body.id}`, { name: 'Unique' });
    assert.equal(rename.status, 400);
    assert.equal(rename.body.error.code, 'SUBSCRIPTION_NAME_TAKEN');
  });

  test('PATCH applies the same rules and refuses create-only fields', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Patchable',
      default_phone_country: 'gb',
      api_revision: '',
    });
    assert.equal(made.body.default_phone_country, 'GB', 'country codes are upper-cased');
    assert.equal(made.body.api_revision, '2026-07-15', 'blank revision means the default');
    const id = made.body.id;
    for (const [body, field] of [
      [{ throttle_seconds: 0 }, 'throttle_seconds'],
      [{ api_url: 'https://example.org' }, 'api_url'],
      [{ create_default_mappings: true }, 'create_default_mappings'],
      [{ api_revision: '2026-13-01' }, 'api_revision'],
    ] as const) {
      const res = await svc.api('PATCH', `/api/v1/subscriptions/${id}`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.field, field);
    }
    const ok = await svc.api('PATCH', `/api/v1/subscriptions/${id}`, {
      throttle_limit: 100,
      generate_events: false,
      api_revision: '2026-07-15.pre',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.throttle_limit, 100);
    assert.equal(ok.body.generate_events, false);
    assert.equal(ok.body.api_revision, '2026-07-15.pre');
  });

  test('initialize answers INITIALIZATION_NOT_SUPPORTED with its message', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', { name: 'Init' });
    const res = await svc.api('POST', `/api/v1/subscriptions/${made.body.id}/initialize`);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'INITIALIZATION_NOT_SUPPORTED');
    assert.equal(
      res.body.error.message,
      'Initialization is not supported for Klaviyo: records flow through outbound triggers, polling and manual sync',
    );
  });

  test('webhook key rotation shows the new key once and replaces the old one', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', { name: 'Hooks' });
    const rotated = await svc.api('POST', `/api/v1/subscriptions/${made.body.id}/webhook-key`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.webhook_api_key, made.body.webhook_api_key);
    const { verifyWebhookKey } = await import('../../src/store/repositories/subscriptions.ts');
    assert.equal(
      await verifyWebhookKey(svc.ctx.store.db, svc.ctx.secrets, made.body.id, rotated.body.webhook_api_key),
      true,
    );
    assert.equal(
      await verifyWebhookKey(svc.ctx.store.db, svc.ctx.secrets, made.body.id, made.body.webhook_api_key),
      false,
    );
    const read = await svc.api('GET', `/api/v1/subscriptions/${made.body.id}`);
    assert.equal(read.body.webhook_api_key, `••••${rotated.body.webhook_api_key.slice(-4)}`);
  });

  test('flow toggles: customer and transaction scopes on by default; PUT changes only the named scopes', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', { name: 'Flows' });
    const id = made.body.id;
    const initial = await svc.api('GET', `/api/v1/subscriptions/${id}/flows`);
    assert.deepEqual(initial.body, {
      'customer/created': true,
      'customer/updated': true,
      'transaction/created': true,
      'transaction/updated': true,
      'product/created': false,
      'product/updated': false,
    });
    const put = await svc.api('PUT', `/api/v1/subscriptions/${id}/flows`, {
      'customer/updated': false,
      'product/created': true,
    });
    assert.equal(put.status, 200);
    assert.equal(put.body['customer/updated'], false);
    assert.equal(put.body['product/created'], true);
    assert.equal(put.body['customer/created'], true);
    const { getEnabledFlows } = await import('../../src/store/repositories/subscriptions.ts');
    assert.deepEqual(await getEnabledFlows(svc.ctx.store.db, id), [
      'customer/created',
      'transaction/created',
      'transaction/updated',
      'product/created',
    ]);
    const bad = await svc.api('PUT', `/api/v1/subscriptions/${id}/flows`, { 'order/created': true });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'order/created');
  });

  test('OAuth chosen without a Klaviyo app configured: needs_authorization, and start says OAUTH_NOT_CONFIGURED', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', { name: 'No app', auth_method: 'oauth' });
    assert.equal(made.body.status, 'needs_authorization');
    assert.equal(made.body.auth_method, 'oauth');
    const start = await svc.api('GET', `/api/v1/subscriptions/${made.body.id}/oauth/start`);
    assert.equal(start.status, 400);
    assert.equal(start.body.error.code, 'OAUTH_NOT_CONFIGURED');
    assert.match(start.body.error.message, /KLAVIYO_OAUTH_CLIENT_ID/);
  });

  test('the OpenAPI document at /docs describes the subscription routes from their zod schemas', async () => {
    const doc = await (await fetch(`${svc.baseUrl}/docs/json`)).json();
    const create = doc.paths['/api/v1/subscriptions'].post;
    const schema = create.requestBody.content['application/json'].schema;
    assert.equal(schema.properties.throttle_limit.default, 3500);
    assert.ok(schema.required.includes('name'));
    assert.ok(doc.paths['/api/v1/subscriptions/{id}/flows'].put);
    assert.ok(doc.paths['/api/v1/subscriptions/{id}/oauth/start'].get);
  });

  test('unknown subscriptions answer 404 and delete removes one', async () => {
    assert.equal((await svc.api('GET', '/api/v1/subscriptions/nope')).status, 404);
    const made = await svc.api('POST', '/api/v1/subscriptions', { name: 'Doomed' });
    assert.equal((await svc.api('DELETE', `/api/v1/subscriptions/${made.body.id}`)).status, 204);
    assert.equal((await svc.api('GET', `/api/v1/subscriptions/${made.body.id}`)).status, 404);
  });
});
