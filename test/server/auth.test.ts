import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../helpers/service.ts';
import { startAwaitingSetup } from '../helpers/setup-link.ts';

async function signIn(baseUrl: string, username: string, password: string) {
  const res = await fetch(`${baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await res.json();
  return {
    status: res.status,
    body,
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0],
    setCookie: res.headers.get('set-cookie') ?? '',
  };
}

describe('sign-in and the global guard', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService();
  });
  after(async () => {
    await svc.close();
  });

  test('API routes refuse unauthenticated requests with 401 UNAUTHENTICATED', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/session'],
      ['GET', '/api/v1/tokens'],
      ['POST', '/api/v1/tokens'],
      ['GET', '/api/v1/does-not-exist-yet'],
    ] as const) {
      const res = await fetch(`${svc.baseUrl}${url}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{"name":"x"}' : undefined,
      });
      // An unknown API route has no pattern and answers 404 without revealing anything.
      if (url.includes('does-not-exist')) assert.equal(res.status, 404);
      else {
        assert.equal(res.status, 401, `${method} ${url}`);
        assert.equal((await res.json()).error.code, 'UNAUTHENTICATED');
      }
    }
  });

  test('a wrong bearer token is refused', async () => {
    const res = await fetch(`${svc.baseUrl}/api/v1/tokens`, {
      headers: { authorization: 'Bearer kst_nope' },
    });
    assert.equal(res.status, 401);
  });

  test('a percent-encoded path cannot skip the guard', async () => {
    const res = await fetch(`${svc.baseUrl}/%61pi/v1/tokens`);
    assert.ok(res.status === 401 || res.status === 404, `got ${res.status}`);
    assert.notEqual(res.status, 200);
  });

  test('health, readiness and docs are public; metrics need a credential', async () => {
    assert.equal((await fetch(`${svc.baseUrl}/healthz`)).status, 200);
    const ready = await fetch(`${svc.baseUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    assert.equal((await fetch(`${svc.baseUrl}/metrics`)).status, 401);
    const metrics = await (
      await fetch(`${svc.baseUrl}/metrics`, { headers: { authorization: `Bearer ${svc.adminToken}` } })
    ).text();
    assert.match(metrics, /klaviyo_sync_http_requests_total/);
    const doc = await (await fetch(`${svc.baseUrl}/docs/json`)).json();
    assert.ok(doc.paths['/api/v1/session'], 'OpenAPI lists the session route');
    assert.equal((await fetch(`${svc.baseUrl}/docs`, { redirect: 'manual' })).status < 400, true);
  });

  test('sign-in sets an httpOnly session cookie and answers a CSRF token; helmet headers are set', async () => {
    const s = await signIn(svc.baseUrl, 'admin', svc.adminPassword);
    assert.equal(s.status, 200);
    assert.equal(typeof s.body.csrf_token, 'string');
    assert.match(s.setCookie, /HttpOnly/i);
    assert.match(s.setCookie, /SameSite=Lax/i);
    const me = await fetch(`${svc.baseUrl}/api/v1/session`, { headers: { cookie: s.cookie } });
    assert.equal(me.status, 200);
    assert.equal(me.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(await me.json(), { username: 'admin', via: 'session', csrf_token: s.body.csrf_token });
  });

  test('a cookie-authenticated write without the CSRF token is refused; with it, it passes', async () => {
    const s = await signIn(svc.baseUrl, 'admin', svc.adminPassword);
    const without = await fetch(`${svc.baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    assert.equal(without.status, 403);
    assert.equal((await without.json()).error.code, 'CSRF_TOKEN_INVALID');
    const wrong = await fetch(`${svc.baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json', 'x-csrf-token': 'forged' },
      body: JSON.stringify({ name: 'x' }),
    });
    assert.equal(wrong.status, 403);
    const ok = await fetch(`${svc.baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json', 'x-csrf-token': s.body.csrf_token },
      body: JSON.stringify({ name: 'cli' }),
    });
    assert.equal(ok.status, 201);
    const made = await ok.json();
    assert.match(made.token, /^kst_/);
    // The token works as a Bearer credential, with no CSRF token needed.
    const asMachine = await fetch(`${svc.baseUrl}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${made.token}` },
    });
    assert.equal(asMachine.status, 200);
    const list = await asMachine.json();
    assert.ok(list.data.some((t: { name: string }) => t.name === 'cli'));
    assert.ok(!JSON.stringify(list).includes(made.token), 'the token is never listed again');
  });

  test('sign-out ends the session', async () => {
    const s = await signIn(svc.baseUrl, 'admin', svc.adminPassword);
    const out = await fetch(`${svc.baseUrl}/api/v1/session`, {
      method: 'DELETE',
      headers: { cookie: s.cookie, 'x-csrf-token': s.body.csrf_token },
    });
    assert.equal(out.status, 204);
    assert.equal(
      (await fetch(`${svc.baseUrl}/api/v1/session`, { headers: { cookie: s.cookie } })).status,
      401,
    );
  });

  test('validation errors answer 400 VALIDATION_FAILED naming the field', async () => {
    const res = await svc.api('POST', '/api/v1/tokens', { name: '' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    assert.equal(res.body.error.field, 'name');
    const bad = await fetch(`${svc.baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, 'VALIDATION_FAILED');
  });

  test('a body over the limit answers 413 BODY_TOO_LARGE', async () => {
    const res = await svc.api('POST', '/api/v1/tokens', { name: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'BODY_TOO_LARGE');
  });

  test('wrong passwords are refused, then rate limited', async () => {
    const other = await startTestService({ env: {} });
    try {
      let last = 0;
      for (let i = 0; i < 11; i++) last = (await signIn(other.baseUrl, 'admin', 'wrong-password')).status;
      assert.equal(last, 429);
      // Even the right password waits until the window passes.
      const right = await signIn(other.baseUrl, 'admin', other.adminPassword);
      assert.equal(right.status, 429);
      assert.equal(right.body.error.code, 'LOGIN_RATE_LIMITED');
      const first = await signIn(svc.baseUrl, 'admin', 'wrong-password');
      assert.equal(first.status, 401);
      assert.equal(first.body.error.message, 'Wrong username or password.');
    } finally {
      await other.close();
    }
  });
});

test('without an admin password a one-time setup link creates the admin', async () => {
  const service = await startAwaitingSetup();
  try {
    const { baseUrl: base, token } = service;
    assert.ok(token.length > 20);
    const page = await fetch(`${base}/setup?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post" action="\/setup"/);
    const done = await fetch(`${base}/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token,
        password: 'a-good-password',
        password_confirmation: 'a-good-password',
      }).toString(),
      redirect: 'manual',
    });
    assert.equal(done.status, 200);
    assert.match(await done.text(), /The admin password is set/);
    const again = await fetch(`${base}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: 'another-password' }),
    });
    assert.equal(again.status, 401, 'the link works once');
    assert.equal((await signIn(base, 'admin', 'a-good-password')).status, 200);
  } finally {
    await service.close();
  }
});
