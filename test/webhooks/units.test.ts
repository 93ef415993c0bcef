// The pure parts of outbound webhooks: which URLs are accepted, the signature, the delivery id.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { AppError } from '../../src/domain/errors.ts';
import { deliveryId } from '../../src/webhooks/delivery.ts';
import { checkWebhookUrl, newSigningSecret } from '../../src/webhooks/endpoints.ts';
import { signWebhook, verifyWebhook } from '../../src/webhooks/signing.ts';

function refused(url: string, sandbox: boolean): boolean {
  try {
    checkWebhookUrl(url, sandbox);
    return false;
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'WEBHOOK_URL_NOT_ALLOWED');
    assert.equal(err.field, 'url');
    return true;
  }
}

test('webhook URLs: public https only; loopback http only in sandbox mode', () => {
  for (const url of [
    'https://hooks.example.com/in?x=1',
    'https://203.0.113.9:8443/h',
    'https://[2001:db8::1]/h',
  ])
    assert.equal(refused(url, false), false, url);
  for (const url of [
    'http://hooks.example.com/in',
    'ftp://hooks.example.com/',
    'https://localhost/h',
    'https://127.0.0.1/h',
    'https://10.1.2.3/h',
    'https://172.20.0.1/h',
    'https://192.168.1.1/h',
    'https://169.254.169.254/h',
    'https://100.64.0.1/h',
    'https://0.0.0.0/h',
    'https://[::1]/h',
    'https://[fd00::1]/h',
    'https://[fe80::1]/h',
    'https://[::ffff:127.0.0.1]/h',
    'https://a:b@hooks.example.com/',
    'http://127.0.0.1:4000/h',
    '',
  ])
    assert.equal(refused(url, false), true, url);
  assert.equal(refused('http://127.0.0.1:4000/h', true), false);
  assert.equal(refused('http://localhost:4000/h', true), false);
  assert.equal(refused('http://[::1]:4000/h', true), false);
  assert.equal(refused('http://10.0.0.1:4000/h', true), true, 'sandbox mode opens loopback only');
  assert.equal(refused('http://example.com/h', true), true);
});

test('the signature is the hex HMAC-SHA256 of "<timestamp>.<body>" and verifies only unchanged', () => {
  const secret = newSigningSecret();
  assert.ok(Buffer.from(secret.slice(6), 'base64url').length >= 32);
  assert.notEqual(newSigningSecret(), secret);
  const body = '{"id":"whd_1","event":"customer/updated"}';
  const sig = signWebhook(secret, '1700000000', body);
  assert.equal(sig, `sha256=${createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex')}`);
  assert.equal(verifyWebhook(secret, '1700000000', body, sig), true);
  assert.equal(verifyWebhook(secret, '1700000001', body, sig), false, 'timestamp is signed');
  assert.equal(verifyWebhook(secret, '1700000000', `${body} `, sig), false);
  assert.equal(verifyWebhook(newSigningSecret(), '1700000000', body, sig), false);
  assert.equal(verifyWebhook(secret, '1700000000', body, 'sha256=00'), false);
});

test('a delivery id is the same for the same change and endpoint, different otherwise', () => {
  const change = { kind: 'customer' as const, id: 'C1', version: 7 };
  assert.equal(deliveryId('e1', change), deliveryId('e1', { ...change }));
  assert.notEqual(deliveryId('e1', change), deliveryId('e2', change));
  assert.notEqual(deliveryId('e1', change), deliveryId('e1', { ...change, version: 8 }));
});
