// Each way of not being signed in gets its own advice: nothing sent, a refused API token, an ended session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../helpers/service.ts';

describe('401 answers say why', () => {
  let svc: TestService;
  // Sessions are made with the wall clock, so the service clock starts there and is moved past expiry.
  let clock = Date.now();
  before(async () => {
    svc = await startTestService({ now: () => clock });
  });
  after(async () => {
    await svc.close();
  });

  async function tokensWith(headers: Record<string, string>) {
    const res = await fetch(`${svc.baseUrl}/api/v1/tokens`, { headers });
    return { status: res.status, error: (await res.json()).error };
  }

  async function signInCookie(): Promise<string> {
    const res = await fetch(`${svc.baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: svc.adminPassword }),
    });
    assert.equal(res.status, 200);
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  }

  test('no credentials: sign in first', async () => {
    const { status, error } = await tokensWith({});
    assert.equal(status, 401);
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.match(error.message, /^Sign in first/);
  });

  test('a wrong or revoked API token: not valid or revoked, make a new one', async () => {
    const wrong = await tokensWith({ authorization: 'Bearer kst_not-a-token' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.error.code, 'UNAUTHENTICATED');
    assert.match(wrong.error.message, /API token is not valid or was revoked: make a new one/);

    const made = await svc.api('POST', '/api/v1/tokens', { name: 'short-lived' });
    assert.equal((await tokensWith({ authorization: `Bearer ${made.body.token}` })).status, 200);
    assert.equal((await svc.api('DELETE', `/api/v1/tokens/${made.body.id}`)).status, 204);
    const revoked = await tokensWith({ authorization: `Bearer ${made.body.token}` });
    assert.equal(revoked.status, 401);
    assert.match(revoked.error.message, /not valid or was revoked/);
    assert.ok(!JSON.stringify(revoked.error).includes(made.body.token), 'the token is not echoed');
  });

  test('an expired or unknown session cookie: your session expired, sign in again', async () => {
    const cookie = await signInCookie();
    assert.equal((await tokensWith({ cookie })).status, 200);
    clock += 13 * 60 * 60 * 1000;
    const expired = await tokensWith({ cookie });
    assert.equal(expired.status, 401);
    assert.equal(expired.error.code, 'SESSION_EXPIRED');
    assert.equal(expired.error.message, 'Your session expired: sign in again.');

    const unknown = await tokensWith({ cookie: 'ks_session=never-issued' });
    assert.equal(unknown.error.code, 'SESSION_EXPIRED');
  });
});
