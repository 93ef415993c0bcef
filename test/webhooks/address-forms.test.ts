// One rule for where the service may connect, at save time and at connect time: every spelling of a
// loopback, link-local, site-local, unique-local or IPv4-carrying IPv6 address is refused by both the
// webhook URL check and the delivery's lookup, and the subscription API URL check agrees on loopback.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { test } from 'node:test';
import { AppError } from '../../src/domain/errors.ts';
import { checkApiUrl } from '../../src/domain/subscription.ts';
import { addressAllowed, checkedLookup, type Resolver } from '../../src/webhooks/egress.ts';
import { checkWebhookUrl } from '../../src/webhooks/endpoints.ts';
import { startTestService } from '../helpers/service.ts';

const INTERNAL = [
  '::127.0.0.1', // IPv4-compatible loopback, stored as ::7f00:1
  '::7f00:1',
  '0:0:0:0:0:0:7f00:1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '0:0:0:0:0:ffff:7f00:1',
  '::ffff:169.254.169.254',
  '::ffff:a9fe:a9fe',
  '::10.0.0.1',
  '::8.8.8.8', // IPv4-compatible: deprecated, never a public destination
  '::1',
  '0:0:0:0:0:0:0:1',
  '::',
  'fec0::1', // site-local
  'feff::1',
  'fe80::1', // link-local
  'febf::1',
  'fc00::1', // unique local
  'fd12:3456::1',
  'ff02::1', // multicast
  '64:ff9b::a00:1', // NAT64
  '2002:7f00:1::1', // 6to4 carrying 127.0.0.1
  '2002:a00:1::1', // 6to4 carrying 10.0.0.1
  '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
  '127.0.0.1',
  '127.1.2.3',
  '10.0.0.1',
  '172.31.255.255',
  '192.168.0.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
];
const PUBLIC = [
  '8.8.8.8',
  '203.0.113.9',
  '2606:4700:4700::1111',
  '2001:db8::1',
  '2002:808:808::1',
  '::ffff:8.8.8.8',
];

function refusedAtSave(url: string, sandbox = false): boolean {
  try {
    checkWebhookUrl(url, sandbox);
    return false;
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'WEBHOOK_URL_NOT_ALLOWED');
    return true;
  }
}

function urlOf(ip: string): string {
  return ip.includes(':') ? `https://[${ip}]/hook` : `https://${ip}/hook`;
}

/** What the delivery's lookup answers for a name that resolves to `ip`. */
function refusedAtConnect(ip: string): Promise<boolean> {
  const resolve: Resolver = (_host, _options, callback) =>
    callback(null, [{ address: ip, family: ip.includes(':') ? 6 : 4 } as LookupAddress]);
  return new Promise((done) =>
    checkedLookup(false, resolve)('hooks.example.com', {}, (err) => done(err !== null)),
  );
}

test('every internal form is refused when saved and when connecting; public ones pass both', async () => {
  for (const ip of INTERNAL) {
    assert.equal(refusedAtSave(urlOf(ip)), true, `saved: ${ip}`);
    assert.equal(addressAllowed(ip, false), false, `connect: ${ip}`);
    assert.equal(await refusedAtConnect(ip), true, `lookup: ${ip}`);
  }
  for (const ip of PUBLIC) {
    assert.equal(refusedAtSave(urlOf(ip)), false, `saved: ${ip}`);
    assert.equal(addressAllowed(ip, false), true, `connect: ${ip}`);
    assert.equal(await refusedAtConnect(ip), false, `lookup: ${ip}`);
  }
  for (const url of ['https://localhost/h', 'https://localhost./h', 'https://a.localhost/h'])
    assert.equal(refusedAtSave(url), true, url);
});

test('sandbox mode opens loopback (in every spelling) and nothing else, for webhooks and the API URL', () => {
  for (const host of ['127.0.0.1', '[::1]', 'localhost', '[::ffff:127.0.0.1]', '[::127.0.0.1]']) {
    assert.equal(refusedAtSave(`http://${host}:4000/h`, true), false, host);
    assert.equal(checkApiUrl(`http://${host}:4000`, true).ok, true, host);
    assert.equal(checkApiUrl(`http://${host}:4000`, false).ok, false, host);
  }
  for (const host of ['10.0.0.1', '[fec0::1]', '[::ffff:a00:1]', '[fd00::1]', '169.254.169.254']) {
    assert.equal(refusedAtSave(`http://${host}:4000/h`, true), true, host);
    assert.equal(checkApiUrl(`http://${host}:4000`, true).ok, false, host);
  }
});

test('the API refuses a webhook to https://[::127.0.0.1]/ with WEBHOOK_URL_NOT_ALLOWED', async () => {
  const svc = await startTestService();
  try {
    for (const url of ['https://[::127.0.0.1]/h', 'https://[fec0::1]/h', 'https://[::ffff:7f00:1]/h']) {
      const made = await svc.api('POST', '/api/v1/webhooks', { url, events: ['customer/created'] });
      assert.equal(made.status, 400, url);
      assert.equal(made.body.error.code, 'WEBHOOK_URL_NOT_ALLOWED');
      assert.equal(made.body.error.field, 'url');
    }
  } finally {
    await svc.close();
  }
});
