// Where a delivery may connect, checked at delivery time on the address actually dialled: a name that
// resolves to loopback or a private network is refused (WEBHOOK_URL_NOT_ALLOWED, not retried), whatever
// the URL looked like when the endpoint was saved.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FlowContext, Outcome, StepInput, Transfer } from '../../src/transfer/types.ts';
import { createHubWebhookHandler, type WebhookHandlerOptions } from '../../src/webhooks/delivery.ts';
import { addressAllowed, type Resolver } from '../../src/webhooks/egress.ts';
import type { WebhookEndpoints } from '../../src/webhooks/endpoints.ts';

/** Resolves the names given, and fails any other (no test reaches the real DNS). */
function resolver(names: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = ((hostname, _options, callback) => {
    asked.push(hostname);
    const found = names[hostname];
    if (!found) {
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return callback(err, []);
    }
    callback(
      null,
      found.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  }) as Resolver & { asked: string[] };
  resolve.asked = asked;
  return resolve;
}

function transfer(): Transfer {
  return {
    id: '1',
    subscription_id: 'sub',
    collection_id: 'ep',
    flow: 'hub-webhook',
    direction: 'from_hub',
    record_id: 'c1',
    state: 'running',
    attempts: 0,
    error_code: null,
    error_message: null,
    tracking_id: 't',
    created_at: '',
    updated_at: '',
    trigger: 'customer/updated',
    record_kind: 'customer',
    record_version: 1,
    debug: false,
    max_attempts: 10,
    next_attempt_at: null,
    payload: {
      endpoint_id: 'ep',
      delivery: {
        id: 'whd_1',
        event: 'customer/updated',
        occurred_at: '2026-01-01T00:00:00Z',
        subscription_id: 'sub',
        record: { kind: 'customer', id: 'c1', version: 1, data: null },
      },
    },
  };
}

async function deliverTo(url: string, options: Partial<WebhookHandlerOptions>) {
  const endpoints = {
    async forDelivery() {
      return {
        id: 'ep',
        url,
        events: ['customer/updated'],
        subscription_ids: null,
        enabled: true,
        secret: 's',
      };
    },
  } as unknown as WebhookEndpoints;
  const handler = createHubWebhookHandler({ endpoints, ...options });
  const steps: StepInput[] = [];
  const ctx = {
    subscriptionId: 'sub',
    flow: 'hub-webhook',
    backlog: 1,
    signal: new AbortController().signal,
    step: (_id: string, s: StepInput) => steps.push(s),
  } as unknown as FlowContext;
  const outcomes = await handler.handle([transfer()], ctx);
  return { outcome: outcomes.get('1') as Outcome, steps };
}

function assertRefused(outcome: Outcome, steps: StepInput[]) {
  assert.equal(outcome.status, 'failed');
  assert.ok(outcome.status === 'failed');
  assert.equal(outcome.code, 'WEBHOOK_URL_NOT_ALLOWED');
  assert.equal(outcome.retryable, false, 'a refused address is a permanent failure');
  assert.ok(steps.some((s) => s.kind === 'error' && s.message.startsWith('WEBHOOK_URL_NOT_ALLOWED')));
}

describe('webhook egress at delivery', () => {
  let receiver: Server;
  let port: number;
  let hits = 0;
  let answer: { status: number; headers: Record<string, string> } | null = null;
  before(async () => {
    receiver = createServer((req, res) => {
      hits++;
      req.resume();
      req.on('end', () => {
        res.writeHead(answer?.status ?? 200, answer?.headers ?? {});
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
  });
  after(() => new Promise((resolve) => receiver.close(resolve)));

  test('a public-looking name that resolves to loopback is refused and never connected to', async () => {
    const before = hits;
    const resolve = resolver({ 'hooks.example.test': ['127.0.0.1'] });
    const { outcome, steps } = await deliverTo(`http://hooks.example.test:${port}/in`, { resolve });
    assertRefused(outcome, steps);
    assert.ok(resolve.asked.includes('hooks.example.test'), 'the check is the connection’s own lookup');
    assert.equal(hits, before, 'the receiver on loopback got nothing');
  });

  test('localhost through the system resolver is refused when loopback is not allowed', async () => {
    const before = hits;
    const { outcome, steps } = await deliverTo(`http://localhost:${port}/in`, {});
    assertRefused(outcome, steps);
    assert.equal(hits, before);
  });

  test('a name with one private address among public ones is refused; IP literals are checked too', async () => {
    const resolve = resolver({ 'mixed.example.test': ['203.0.113.7', '10.0.0.5'] });
    const mixed = await deliverTo('https://mixed.example.test/in', { resolve });
    assertRefused(mixed.outcome, mixed.steps);
    const literal = await deliverTo(`http://127.0.0.1:${port}/in`, {});
    assertRefused(literal.outcome, literal.steps);
    const metadata = await deliverTo('http://169.254.169.254/latest', { allowLoopback: true });
    assertRefused(metadata.outcome, metadata.steps);
  });

  test('with loopback allowed (sandbox URLs), the checked loopback address is the one delivered to', async () => {
    const before = hits;
    const resolve = resolver({ 'receiver.example.test': ['127.0.0.1'] });
    const { outcome } = await deliverTo(`http://receiver.example.test:${port}/in`, {
      resolve,
      allowLoopback: true,
    });
    assert.deepEqual(outcome, { status: 'succeeded' });
    assert.equal(hits, before + 1);
  });

  test('a 429 or 503 with Retry-After (seconds or HTTP date) asks the engine to wait at least that long', async () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const url = `http://127.0.0.1:${port}/in`;
    try {
      answer = { status: 429, headers: { 'retry-after': '7200' } };
      const seconds = await deliverTo(url, { allowLoopback: true, now: () => now });
      assert.ok(seconds.outcome.status === 'failed' && seconds.outcome.retryable);
      assert.equal(seconds.outcome.retryAfterMs, 7_200_000);
      assert.ok(seconds.steps.some((s) => s.message === 'HTTP 429 (Retry-After: 7200)'));

      answer = { status: 503, headers: { 'retry-after': new Date(now + 3 * 3_600_000).toUTCString() } };
      const date = await deliverTo(url, { allowLoopback: true, now: () => now });
      assert.ok(date.outcome.status === 'failed');
      assert.equal(date.outcome.retryAfterMs, 3 * 3_600_000);

      answer = { status: 500, headers: {} };
      const plain = await deliverTo(url, { allowLoopback: true, now: () => now });
      assert.ok(plain.outcome.status === 'failed' && plain.outcome.retryable);
      assert.equal(plain.outcome.retryAfterMs, undefined, 'no Retry-After: the usual schedule');
    } finally {
      answer = null;
    }
  });

  test('the address rules: private, loopback, link-local, CGNAT, mapped and NAT64 forms refused', () => {
    for (const ip of ['203.0.113.9', '8.8.8.8', '2001:db8::1', '2606:4700::1111'])
      assert.equal(addressAllowed(ip, false), true, ip);
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:a00:1',
      '64:ff9b::a00:1',
      'not-an-ip',
    ])
      assert.equal(addressAllowed(ip, false), false, ip);
    assert.equal(addressAllowed('127.0.0.1', true), true);
    assert.equal(addressAllowed('::1', true), true);
    assert.equal(addressAllowed('10.0.0.1', true), false, 'loopback only, never private networks');
  });
});
