// KLAVIYO_SYNC_TRUST_PROXY: behind a reverse proxy every request comes from the proxy's address, so the
// login rate limit (keyed by client address) needs the forwarded client address — and only when the
// proxy is trusted, or anyone could pick a fresh address per guess with a forged header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startTestService } from '../helpers/service.ts';

async function signIn(baseUrl: string, forwardedFor: string, password: string): Promise<number> {
  const res = await fetch(`${baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ username: 'admin', password }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Spends one client's budget of failed sign-ins, then answers what a second client gets with the right password. */
async function secondClientAfterFirstIsLimited(env: Record<string, string>): Promise<number> {
  const svc = await startTestService({ env });
  try {
    let last = 0;
    for (let i = 0; i < 11; i++) last = await signIn(svc.baseUrl, '203.0.113.1', 'wrong-password');
    assert.equal(last, 429, 'the first client is limited');
    assert.equal(await signIn(svc.baseUrl, '203.0.113.1', svc.adminPassword), 429);
    return await signIn(svc.baseUrl, '203.0.113.2', svc.adminPassword);
  } finally {
    await svc.close();
  }
}

test('with the proxy trusted, two forwarded clients have separate login budgets', async () => {
  for (const value of ['127.0.0.1', '1', '2'])
    assert.equal(await secondClientAfterFirstIsLimited({ KLAVIYO_SYNC_TRUST_PROXY: value }), 200, value);
});

test('without proxy trust, X-Forwarded-For is ignored: clients behind one address share a budget', async () => {
  assert.equal(await secondClientAfterFirstIsLimited({}), 429);
});

test('KLAVIYO_SYNC_TRUST_PROXY accepts a flag, a hop count or addresses and CIDRs, and refuses the rest', () => {
  const trust = (value?: string) =>
    loadConfig(value === undefined ? {} : { KLAVIYO_SYNC_TRUST_PROXY: value }).trustProxy;
  assert.equal(trust(), false);
  assert.equal(trust(''), false);
  assert.equal(trust('0'), false);
  assert.equal(trust('1'), true);
  assert.equal(trust('TRUE'), true);
  assert.equal(trust('2'), 2);
  assert.deepEqual(trust('10.0.0.0/8, 192.168.1.10,fd00::/8'), ['10.0.0.0/8', '192.168.1.10', 'fd00::/8']);
  for (const bad of ['maybe', '10.0.0.0/33', '10.0.0/8', 'proxy.example.com', '1.2.3.4/8/1', '500']) {
    assert.throws(
      () => trust(bad),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes('KLAVIYO_SYNC_TRUST_PROXY must be 1/true') &&
        err.message.includes('CIDRs'),
      bad,
    );
  }
});
