// Outbound hub webhooks through the real service: a Klaviyo-side change (a sandbox profile, announced by
// an inbound notification) reaches the hub, and a local receiver gets a signed delivery; retries keep
// the delivery id; REST writes send nothing; bad URLs are refused; the secret is shown once only.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
}

/** The receiver's own check, as docs/webhooks.md shows it: constant-time compare of the HMAC. */
function verify(secret: string, headers: IncomingHttpHeaders, raw: string): boolean {
  const timestamp = String(headers['x-klaviyo-sync-timestamp'] ?? '');
  const given = Buffer.from(String(headers['x-klaviyo-sync-signature'] ?? ''));
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex')}`,
  );
  return given.length === expected.length && timingSafeEqual(given, expected);
}

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false])
  describe(`outbound hub webhooks (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    let sandbox: Sandbox;
    let svc: TestService;
    let receiver: Server;
    let receiverUrl: string;
    let subscriptionId: string;
    let hookKey: string;
    const received: Received[] = [];
    const answers: number[] = [];
    const shownSecrets: string[] = [];

    before(async () => {
      sandbox = await startSandbox();
      svc = await startTestService({ postgres, env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
          res.statusCode = answers.shift() ?? 200;
          res.end(res.statusCode >= 400 ? 'receiver trouble' : 'ok');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/hub?token=abc`;
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Shop',
        api_url: sandbox.url,
        api_key: sandbox.apiKey,
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      subscriptionId = made.body.id;
      hookKey = made.body.webhook_api_key;
    });
    after(async () => {
      await svc?.close();
      await sandbox?.close();
      await new Promise((resolve) => receiver?.close(resolve));
    });

    async function makeEndpoint(events = ['customer/created', 'customer/updated']) {
      const made = await svc.api('POST', '/api/v1/webhooks', { url: receiverUrl, events });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.match(made.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/, 'at least 32 random bytes');
      shownSecrets.push(made.body.secret);
      return made.body as { id: string; secret: string };
    }

    async function klaviyoChange(email: string, firstName: string) {
      const answer = await fetch(`${sandbox.url}/api/profiles`, {
        method: 'POST',
        headers: {
          authorization: `Klaviyo-API-Key ${sandbox.apiKey}`,
          revision: '2026-07-15',
          'content-type': 'application/vnd.api+json',
        },
        body: JSON.stringify({ data: { type: 'profile', attributes: { email, first_name: firstName } } }),
      });
      assert.equal(answer.status, 201);
      const profileId = ((await answer.json()) as { data: { id: string } }).data.id;
      const hook = await fetch(`${svc.baseUrl}/hooks/${subscriptionId}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hookKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ notifications: [{ scope: 'profile/created', external_id: profileId }] }),
      });
      assert.equal(hook.status, 202);
      return profileId;
    }

    async function deliveriesOf(recordId: string) {
      const answer = await svc.api(
        'GET',
        `/api/v1/transfers?flow=hub-webhook&record=${encodeURIComponent(recordId)}`,
      );
      return answer.body.data as { id: string; state: string; attempts: number; error_code: string | null }[];
    }

    async function customerByEmail(email: string) {
      return waitFor(`hub customer ${email}`, async () => {
        const found = await svc.api('GET', `/api/v1/customers?email=${encodeURIComponent(email)}`);
        return found.body.data[0] as { id: string; first_name: string } | undefined;
      });
    }

    test('bad URLs are refused with WEBHOOK_URL_NOT_ALLOWED, unknown events with VALIDATION_FAILED', async () => {
      for (const url of [
        'ftp://example.com/x',
        'http://example.com/hook',
        'https://10.0.0.7/hook',
        'https://169.254.169.254/latest',
        'https://user:pw@example.com/hook',
        'not a url',
      ]) {
        const answer = await svc.api('POST', '/api/v1/webhooks', { url, events: ['customer/created'] });
        assert.equal(answer.status, 400, url);
        assert.equal(answer.body.error.code, 'WEBHOOK_URL_NOT_ALLOWED', url);
        assert.equal(answer.body.error.field, 'url');
      }
      const event = await svc.api('POST', '/api/v1/webhooks', {
        url: receiverUrl,
        events: ['profile/eaten'],
      });
      assert.equal(event.status, 400);
      assert.equal(event.body.error.code, 'VALIDATION_FAILED');
      const ok = await svc.api('POST', '/api/v1/webhooks', {
        url: 'https://hooks.example.com/in',
        events: ['customer/updated'],
        enabled: false,
      });
      assert.equal(ok.status, 201);
      shownSecrets.push(ok.body.secret);
      const patched = await svc.api('PATCH', `/api/v1/webhooks/${ok.body.id}`, {
        url: 'http://example.com/',
      });
      assert.equal(patched.body.error.code, 'WEBHOOK_URL_NOT_ALLOWED');
      assert.equal((await svc.api('DELETE', `/api/v1/webhooks/${ok.body.id}`)).status, 204);
      assert.equal((await svc.api('GET', `/api/v1/webhooks/${ok.body.id}`)).status, 404);
    });

    test('a Klaviyo-side change reaches the hub and the receiver gets one signed delivery', async () => {
      const endpoint = await makeEndpoint();
      const before = received.length;
      const profileId = await klaviyoChange('hooked@example.com', 'Hooked');
      const customer = await customerByEmail('hooked@example.com');
      const [delivery] = await waitFor('the delivery to succeed', async () => {
        const list = await deliveriesOf(customer.id);
        return list.length > 0 && list.every((t) => t.state === 'succeeded') && list;
      });
      const mine = received.slice(before);
      assert.equal(mine.length, 1, 'exactly one delivery');
      const [got] = mine;
      assert.ok(
        verify(endpoint.secret, got.headers, got.raw),
        'the signature verifies with the shown secret',
      );
      assert.equal(verify(`${endpoint.secret}x`, got.headers, got.raw), false);
      const body = JSON.parse(got.raw);
      assert.equal(body.event, 'customer/created');
      assert.equal(body.subscription_id, subscriptionId);
      assert.equal(got.headers['x-klaviyo-sync-delivery'], body.id);
      assert.match(body.id, /^whd_[0-9a-f]{32}$/);
      assert.ok(!Number.isNaN(Date.parse(body.occurred_at)));
      assert.equal(body.record.kind, 'customer');
      assert.equal(body.record.id, customer.id);
      assert.equal(typeof body.record.version, 'number');
      assert.equal(body.record.data.email_address, 'hooked@example.com');
      assert.equal(body.record.data.first_name, 'Hooked');
      assert.equal(got.headers['content-type'], 'application/json');

      const detail = await svc.api('GET', `/api/v1/transfers/${delivery.id}`);
      const steps = detail.body.steps as { kind: string; message: string }[];
      assert.ok(
        steps.some((s) => s.kind === 'response' && s.message === 'HTTP 200'),
        JSON.stringify(steps),
      );
      assert.ok(!JSON.stringify(detail.body).includes('token=abc'), 'the query string is not logged');
      assert.ok(profileId);
      assert.equal((await svc.api('DELETE', `/api/v1/webhooks/${endpoint.id}`)).status, 204);
    });

    test('a receiver answering 500 then 200 gets the same delivery id again', async () => {
      const endpoint = await makeEndpoint(['customer/created']);
      const before = received.length;
      answers.push(500, 200);
      await klaviyoChange('retry@example.com', 'Retry');
      const customer = await customerByEmail('retry@example.com');
      const [failed] = await waitFor('the first attempt to fail', async () => {
        const list = await deliveriesOf(customer.id);
        return list.length === 1 && list[0].state === 'failed' && list;
      });
      assert.equal(failed.error_code, 'WEBHOOK_DELIVERY_FAILED');
      assert.equal(failed.attempts, 1);
      // The retry schedule says 20 minutes; make it due now and let the engine's sweep pick it up.
      const { engine } = svc.ctx.transfers!;
      await svc.ctx.store.db
        .updateTable('transfers')
        .set({ next_attempt_at: Date.now() - 1 })
        .where('id', '=', Number(failed.id))
        .execute();
      await engine.pool.sweep();
      await waitFor('the retry to succeed', async () => {
        const list = await deliveriesOf(customer.id);
        return list[0]?.state === 'succeeded';
      });
      const mine = received.slice(before);
      assert.equal(mine.length, 2);
      const ids = mine.map((r) => r.headers['x-klaviyo-sync-delivery']);
      assert.equal(ids[0], ids[1], 'the same delivery id on the retry');
      assert.equal(JSON.parse(mine[0].raw).id, JSON.parse(mine[1].raw).id);
      assert.equal(mine[0].raw, mine[1].raw, 'the same body on the retry');
      for (const r of mine) assert.ok(verify(endpoint.secret, r.headers, r.raw));
      const detail = await svc.api('GET', `/api/v1/transfers/${failed.id}`);
      const messages = (detail.body.steps as { message: string }[]).map((s) => s.message);
      assert.ok(messages.includes('HTTP 500') && messages.includes('HTTP 200'), JSON.stringify(messages));
      assert.equal((await svc.api('DELETE', `/api/v1/webhooks/${endpoint.id}`)).status, 204);
    });

    test('a receiver answering 404 fails the delivery for good (no retry)', async () => {
      const endpoint = await makeEndpoint(['customer/created']);
      answers.push(404);
      await klaviyoChange('gone@example.com', 'Gone');
      const customer = await customerByEmail('gone@example.com');
      const [failed] = await waitFor('the delivery to fail', async () => {
        const list = await deliveriesOf(customer.id);
        return list.length === 1 && list[0].state === 'failed' && list;
      });
      assert.equal(failed.error_code, 'WEBHOOK_DELIVERY_FAILED');
      const detail = await svc.api('GET', `/api/v1/transfers/${failed.id}`);
      assert.match(detail.body.error_message, /HTTP 404/);
      const messages = (detail.body.steps as { message: string }[]).map((s) => s.message).join('\n');
      assert.match(messages, /Not retried automatically/);
      assert.equal((await svc.api('DELETE', `/api/v1/webhooks/${endpoint.id}`)).status, 204);
    });

    test('only enabled endpoints that want the event and the subscription get a delivery', async () => {
      const wanted = await svc.api('POST', '/api/v1/webhooks', {
        url: receiverUrl,
        events: ['customer/created'],
        subscription_ids: [subscriptionId],
      });
      const otherSubscription = await svc.api('POST', '/api/v1/webhooks', {
        url: receiverUrl,
        events: ['customer/created'],
        subscription_ids: ['some-other-subscription'],
      });
      const otherEvent = await svc.api('POST', '/api/v1/webhooks', {
        url: receiverUrl,
        events: ['customer/updated'],
      });
      const disabled = await svc.api('POST', '/api/v1/webhooks', {
        url: receiverUrl,
        events: ['customer/created'],
        enabled: false,
      });
      const made = [wanted, otherSubscription, otherEvent, disabled];
      for (const m of made) {
        assert.equal(m.status, 201, JSON.stringify(m.body));
        shownSecrets.push(m.body.secret);
      }
      const before = received.length;
      await klaviyoChange('filtered@example.com', 'Filtered');
      const customer = await customerByEmail('filtered@example.com');
      const list = await waitFor('the delivery to succeed', async () => {
        const found = await svc.api('GET', `/api/v1/transfers?flow=hub-webhook&record=${customer.id}`);
        const data = found.body.data as { state: string; collection_id: string }[];
        return data.length > 0 && data.every((t) => t.state === 'succeeded') && data;
      });
      assert.deepEqual(
        list.map((t) => t.collection_id),
        [wanted.body.id],
      );
      assert.equal(received.length, before + 1);
      assert.ok(verify(wanted.body.secret, received[before].headers, received[before].raw));
      for (const m of made)
        assert.equal((await svc.api('DELETE', `/api/v1/webhooks/${m.body.id}`)).status, 204);
    });

    test('a hub write made through the REST API sends no webhook', async () => {
      const endpoint = await makeEndpoint();
      const before = received.length;
      const put = await svc.api('PUT', '/api/v1/customers/rest-1', {
        email_address: 'rest@example.com',
        first_name: 'Rest',
      });
      assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
      // Deliveries are queued in the write's transaction: had there been one, it would exist now.
      assert.deepEqual(await deliveriesOf('rest-1'), []);
      // The customer went to Klaviyo (that transfer settled), and still nothing reached the receiver.
      await waitFor('the customer-to-profile transfer', async () => {
        const list = await svc.api('GET', '/api/v1/transfers?record=rest-1');
        const data = list.body.data as { state: string; flow: string }[];
        return data.length > 0 && data.every((t) => t.state !== 'queued' && t.state !== 'running');
      });
      assert.equal(received.length, before);
      assert.equal((await svc.api('DELETE', `/api/v1/webhooks/${endpoint.id}`)).status, 204);
    });

    test('the secret is shown once: masked in every later answer, rotated on demand, never logged', async () => {
      const endpoint = await makeEndpoint();
      const list = await svc.api('GET', '/api/v1/webhooks');
      const one = await svc.api('GET', `/api/v1/webhooks/${endpoint.id}`);
      const patched = await svc.api('PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: false });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.enabled, false);
      assert.equal(one.body.secret, undefined);
      assert.equal(one.body.secret_masked, `••••${endpoint.secret.slice(-4)}`);
      const rotated = await svc.api('POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`);
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.secret, endpoint.secret);
      shownSecrets.push(rotated.body.secret);
      const later = [
        list.body,
        one.body,
        patched.body,
        (await svc.api('GET', '/api/v1/webhooks')).body,
        (await svc.api('GET', `/api/v1/webhooks/${endpoint.id}`)).body,
        (await svc.api('GET', '/api/v1/transfers?flow=hub-webhook')).body,
      ];
      for (const t of (await svc.api('GET', '/api/v1/transfers?flow=hub-webhook')).body.data)
        later.push((await svc.api('GET', `/api/v1/transfers/${t.id}`)).body);
      const text = JSON.stringify(later);
      const logs = svc.logs();
      for (const secret of shownSecrets) {
        assert.ok(!text.includes(secret), 'no API answer after creation shows the secret');
        assert.ok(!logs.includes(secret), 'no log line shows the secret');
        assert.ok(!text.includes(secret.slice(6, 20)));
      }
    });
  });
