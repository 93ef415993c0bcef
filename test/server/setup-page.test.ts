// The setup link's pages, as a person in a browser meets them: the form, its errors and every kind of
// dead link answer HTML that says what to do, never JSON.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ServiceAwaitingSetup, startAwaitingSetup } from '../helpers/setup-link.ts';

describe('the setup link pages', () => {
  let service: ServiceAwaitingSetup;
  let base = '';
  let token = '';
  const clock = Date.now();
  before(async () => {
    service = await startAwaitingSetup({ now: () => clock });
    base = service.baseUrl;
    token = service.token;
  });
  after(async () => {
    await service.close();
  });

  async function getPage(url: string) {
    const res = await fetch(`${base}${url}`);
    return { status: res.status, type: res.headers.get('content-type') ?? '', html: await res.text() };
  }

  async function submit(fields: Record<string, string>) {
    const res = await fetch(`${base}/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', html: await res.text() };
  }

  test('a bogus or missing token shows a page saying the link is not valid and what to do', async () => {
    for (const url of ['/setup?token=not-a-real-token', '/setup']) {
      const page = await getPage(url);
      assert.equal(page.status, 404, url);
      assert.match(page.type, /text\/html/);
      assert.match(page.html, /<h1>This setup link is not valid<\/h1>/);
      assert.match(page.html, /service log/);
      assert.doesNotMatch(page.html, /<form/);
    }
    const posted = await submit({
      token: 'bogus',
      password: 'long-enough',
      password_confirmation: 'long-enough',
    });
    assert.equal(posted.status, 404);
    assert.match(posted.type, /text\/html/);
    assert.match(posted.html, /This setup link is not valid/);
  });

  test('the form: styled page, labelled password and confirmation, a script that checks they match', async () => {
    const page = await getPage(`/setup?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(page.html, /<style>[^<]*main\{/);
    assert.match(page.html, /<meta name="viewport"/);
    for (const id of ['password', 'password_confirmation']) {
      assert.match(
        page.html,
        new RegExp(`<label for="${id}">[^<]+</label><input id="${id}" type="password"`),
      );
    }
    assert.match(page.html, /<label for="password_confirmation">Confirm password<\/label>/);
    const src = /<script src="([^"]+)"/.exec(page.html)?.[1] ?? '';
    const script = await fetch(`${base}${src}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.match(await script.text(), /setCustomValidity/);
    // The page's own CSP lets that script run (same origin) and nothing inline.
    const csp = (await fetch(`${base}/setup?token=${token}`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
  });

  test('errors come back as the form page with a message, not JSON; the password is not echoed', async () => {
    const mismatch = await submit({
      token,
      password: 'first-password',
      password_confirmation: 'other-password',
    });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.type, /text\/html/);
    assert.match(mismatch.html, /role="alert">The two passwords do not match/);
    assert.doesNotMatch(mismatch.html, /first-password|other-password/);
    assert.match(mismatch.html, /<form method="post" action="\/setup"/);

    const short = await submit({ token, password: 'short', password_confirmation: 'short' });
    assert.equal(short.status, 400);
    assert.match(short.type, /text\/html/);
    assert.match(short.html, /must be 8 to 200 characters/);
  });

  test('success says the password is set with a sign-in link; the used link then says so', async () => {
    const done = await submit({
      token,
      password: 'a-good-password',
      password_confirmation: 'a-good-password',
    });
    assert.equal(done.status, 200);
    assert.match(done.html, /<h1>The admin password is set<\/h1>/);
    assert.match(done.html, /<a href="\/signin">Sign in/);
    const signIn = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'a-good-password' }),
    });
    assert.equal(signIn.status, 200);

    const reopened = await getPage(`/setup?token=${token}`);
    assert.equal(reopened.status, 410);
    assert.match(reopened.html, /<h1>This setup link was already used<\/h1>/);
    assert.match(reopened.html, /href="\/signin"/);
    assert.doesNotMatch(reopened.html, /<form/);
    const resubmitted = await submit({
      token,
      password: 'another-one',
      password_confirmation: 'another-one',
    });
    assert.equal(resubmitted.status, 410);
    assert.match(resubmitted.type, /text\/html/);
  });
});

test('an expired setup link says it expired and how to get a new one', async () => {
  let clock = Date.now();
  const service = await startAwaitingSetup({ now: () => clock });
  try {
    clock += 25 * 60 * 60 * 1000;
    const res = await fetch(`${service.baseUrl}/setup?token=${service.token}`);
    assert.equal(res.status, 410);
    const html = await res.text();
    assert.match(html, /<h1>This setup link has expired<\/h1>/);
    assert.match(html, /Restart the service/);
  } finally {
    await service.close();
  }
});
