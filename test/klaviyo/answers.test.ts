// Klaviyo's answers are checked at the client boundary: what the service relies on (ids, job status,
// collections and their next link, the account) must be there, or the call fails with
// KLAVIYO_UNEXPECTED_RESPONSE instead of crashing later or linking a record to an id that was not given.
// A tiny local server answers malformed bodies; then a proxy in front of the sandbox takes the id out of
// the answers to profile writes, and the service's transfer fails coded and retryable, with no link stored.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createKlaviyoClient, type KlaviyoClient, KlaviyoError } from '../../src/klaviyo/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { json, startServer } from './helpers.ts';

async function unexpected(run: () => Promise<unknown>, mentions: RegExp): Promise<KlaviyoError> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof KlaviyoError, `a KlaviyoError, got ${(err as Error)?.stack ?? String(err)}`);
    assert.equal(err.code, 'KLAVIYO_UNEXPECTED_RESPONSE', err.message);
    assert.equal(err.kind, 'transient');
    assert.match(err.message, mentions);
    return err;
  }
  assert.fail('the call should have failed');
}

describe('malformed answers become KLAVIYO_UNEXPECTED_RESPONSE', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let answer: { status: number; body: unknown; raw?: string } = { status: 200, body: {} };
  let client: KlaviyoClient;
  before(async () => {
    server = await startServer((_req, res) => {
      if (answer.raw !== undefined) {
        res.writeHead(answer.status, { 'content-type': 'text/html' });
        res.end(answer.raw);
        return;
      }
      json(res, answer.status, answer.body);
    });
    client = createKlaviyoClient({
      baseUrl: server.baseUrl,
      auth: { kind: 'api_key', apiKey: 'pk_answers' },
      budgetKey: 'answers',
      budgets: false,
      retry: { maxAttempts: 1 },
    });
  });
  after(() => server.close());

  test('a profile import answered without an id', async () => {
    answer = { status: 201, body: { data: { type: 'profile', attributes: { email: 'a@b.co' } } } };
    await unexpected(() => client.profiles.importProfile({ attributes: { email: 'a@b.co' } }), /data\.id/);
  });

  test('a profile with an id that is not a string', async () => {
    answer = { status: 200, body: { data: { type: 'profile', id: 42, attributes: {} } } };
    await unexpected(() => client.profiles.get('P1'), /create_or_update_profile|get_profile/);
  });

  test('a bulk job whose status Klaviyo does not define', async () => {
    answer = {
      status: 200,
      body: { data: { type: 'profile-bulk-import-job', id: 'J1', attributes: { status: 'exploded' } } },
    };
    await unexpected(() => client.bulkImport.get('J1'), /data\.attributes\.status/);
    answer = {
      status: 200,
      body: { data: { type: 'catalog-item-bulk-create-job', id: 'J2', attributes: {} } },
    };
    await unexpected(() => client.catalog.getJob('item', 'create', 'J2'), /status/);
  });

  test('a bulk job made without an id', async () => {
    answer = {
      status: 202,
      body: { data: { type: 'profile-bulk-import-job', attributes: { status: 'queued' } } },
    };
    await unexpected(() => client.bulkImport.create([{ attributes: { email: 'a@b.co' } }]), /data\.id/);
  });

  test('a collection whose data is not a list, or whose next link is not a URL', async () => {
    answer = { status: 200, body: { data: { type: 'list', id: 'L1', attributes: {} }, links: {} } };
    await unexpected(() => client.lists.list(), /get_lists.*data/);
    answer = { status: 200, body: { data: [], links: { next: 42 } } };
    await unexpected(() => client.profiles.list(), /links\.next/);
    answer = { status: 200, body: { data: [{ type: 'list', attributes: { name: 'VIP' } }] } };
    await unexpected(() => client.lists.findByName('VIP'), /data\.0\.id/);
  });

  test('a success that is not JSON (a proxy page) and an account list that is empty', async () => {
    answer = { status: 200, body: undefined, raw: '<html>Gateway says hi</html>' };
    await unexpected(() => client.profiles.get('P1'), /not JSON/);
    answer = { status: 200, body: { data: [] } };
    await unexpected(() => client.accounts.get(), /get_accounts/);
  });

  test('well-formed answers still pass, extra members kept', async () => {
    answer = {
      status: 200,
      body: {
        data: { type: 'profile', id: 'P1', attributes: { email: 'a@b.co', extra: 1 }, links: { self: 'x' } },
      },
    };
    const profile = await client.profiles.get('P1');
    assert.equal(profile.id, 'P1');
    assert.equal(profile.attributes.extra, 1);
    answer = {
      status: 200,
      body: { data: [{ type: 'list', id: 'L1', attributes: { name: 'VIP' } }], links: { next: null } },
    };
    assert.equal((await client.lists.list()).data[0].id, 'L1');
  });
});

describe('a transfer meeting a malformed answer (service, sandbox behind a proxy)', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  let proxy: ReturnType<typeof createServer>;
  let proxyUrl: string;
  before(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    // Passes everything through, but takes `data.id` out of the answers to profile writes.
    proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      const upstream = await fetch(new URL(req.url ?? '/', sandbox.url), {
        method: req.method,
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      let text = await upstream.text();
      const profileWrite =
        req.method !== 'GET' && /^\/api\/(profile-import|profiles)\/?(\?|$)/.test(req.url ?? '');
      if (profileWrite && text) {
        const body = JSON.parse(text);
        if (body.data && !Array.isArray(body.data)) delete body.data.id;
        text = JSON.stringify(body);
      }
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      res.end(text);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    svc = await startTestService({ env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
  });
  after(async () => {
    await svc?.close();
    proxy?.closeAllConnections();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await sandbox?.close();
  });

  test('fails coded and retryable, and stores no link', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Through a proxy',
      api_url: proxyUrl,
      api_key: sandbox.apiKey,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.status, 'connected');
    const id = made.body.id as string;
    const put = await svc.api('PUT', '/api/v1/customers/m1', {
      email_address: 'm1@example.com',
      first_name: 'M',
    });
    assert.ok(put.status < 300, JSON.stringify(put.body));
    const failed = await waitFor(
      'the transfer to fail',
      async () => {
        const list = (await svc.api('GET', `/api/v1/transfers?subscription=${id}&record=m1`)).body.data as {
          state: string;
          error_code: string | null;
          error_message: string | null;
          next_attempt_at?: string | null;
        }[];
        return list.find((t) => t.state === 'failed' || t.state === 'dead');
      },
      5000,
    );
    assert.equal(failed.error_code, 'KLAVIYO_UNEXPECTED_RESPONSE');
    assert.equal(failed.state, 'failed', 'it will be retried');
    assert.match(failed.error_message ?? '', /create_profile|create_or_update_profile/);
    const link = await svc.ctx.transfers!.engine.links.klaviyoIdOf(id, 'customer', 'm1');
    assert.equal(link ?? null, null, 'no link to an id Klaviyo did not give');
  });
});
