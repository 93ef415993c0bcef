// Users, invitations and API tokens with roles, through the real service: an invitation link creates
// the user with its role, the last admin stays, a token never does more than its maker may now.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiError, createApiClient } from '../../src/cli/api-client.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { addMember, invite } from '../helpers/team.ts';

let clock = Date.now();

async function bearer(svc: TestService, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${svc.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

for (const store of ['sqlite', 'postgres'] as const)
  describe(`users, invitations and token roles (${store})`, {
    skip: store === 'postgres' && !TEST_DATABASE_URL ? 'TEST_DATABASE_URL is not set' : false,
  }, () => {
    let svc: TestService;
    before(async () => {
      svc = await startTestService({
        now: () => clock,
        postgres: store === 'postgres',
        env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' },
      });
    });
    after(async () => {
      await svc?.close();
    });

    test('an invitation link opens a form naming the user and role; submitting it creates them; it works once', async () => {
      const link = await invite(svc, 'olga', 'editor');
      assert.match(link.url, /\/setup\?token=/);
      const open = await svc.api('GET', '/api/v1/invitations');
      assert.deepEqual(
        open.body.data.map((i: { username: string; role: string; invited_by: string }) => [
          i.username,
          i.role,
          i.invited_by,
        ]),
        [['olga', 'editor', 'admin']],
      );
      assert.equal(JSON.stringify(open.body).includes(link.token), false, 'the list never shows the link');

      const form = await fetch(`${svc.baseUrl}/setup?token=${link.token}`);
      assert.equal(form.status, 200);
      const html = await form.text();
      assert.match(
        html,
        /invited to klaviyo-sync as <strong>olga<\/strong> with the role <strong>editor<\/strong>/,
      );

      const body = new URLSearchParams({
        token: link.token,
        password: 'olga-password',
        password_confirmation: 'olga-password',
      });
      const done = await fetch(`${svc.baseUrl}/setup`, { method: 'POST', body });
      assert.equal(done.status, 200);
      assert.match(await done.text(), /The user <strong>olga<\/strong> now exists/);

      const again = await fetch(`${svc.baseUrl}/setup?token=${link.token}`);
      assert.equal(again.status, 410);
      assert.match(await again.text(), /already used/);

      const signIn = await fetch(`${svc.baseUrl}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'olga', password: 'olga-password' }),
      });
      assert.equal(signIn.status, 200);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
      const me = await (await fetch(`${svc.baseUrl}/api/v1/session`, { headers: { cookie } })).json();
      assert.equal(me.role, 'editor');
      const users = await svc.api('GET', '/api/v1/users');
      assert.deepEqual(
        users.body.data.map((u: { username: string; role: string }) => [u.username, u.role]),
        [
          ['admin', 'admin'],
          ['olga', 'editor'],
        ],
      );
      assert.equal((await svc.api('GET', '/api/v1/invitations')).body.data.length, 0);
    });

    test('an invitation for a taken name is refused; a revoked invitation stops working; an old one expires', async () => {
      const taken = await svc.api('POST', '/api/v1/invitations', { username: 'admin', role: 'viewer' });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error.code, 'USERNAME_TAKEN');
      assert.equal(taken.body.error.field, 'username');
      const bad = await svc.api('POST', '/api/v1/invitations', { username: 'no spaces', role: 'viewer' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'username');
      const badRole = await svc.api('POST', '/api/v1/invitations', { username: 'x', role: 'owner' });
      assert.equal(badRole.status, 400);

      const link = await invite(svc, 'pat', 'viewer');
      const twice = await svc.api('POST', '/api/v1/invitations', { username: 'pat', role: 'viewer' });
      assert.equal(twice.body.error.code, 'USERNAME_TAKEN');
      assert.equal((await svc.api('DELETE', `/api/v1/invitations/${link.id}`)).status, 204);
      assert.equal((await fetch(`${svc.baseUrl}/setup?token=${link.token}`)).status, 404);

      const late = await invite(svc, 'quinn', 'viewer');
      clock += 8 * 24 * 60 * 60 * 1000;
      try {
        const page = await fetch(`${svc.baseUrl}/setup?token=${late.token}`);
        assert.equal(page.status, 410);
        assert.match(await page.text(), /This invitation has expired/);
        assert.equal((await svc.api('GET', '/api/v1/invitations')).body.data.length, 0);
      } finally {
        clock -= 8 * 24 * 60 * 60 * 1000;
      }
    });

    test('the last admin can be neither demoted nor removed; with a second admin both work', async () => {
      const users = (await svc.api('GET', '/api/v1/users')).body.data as { id: string; username: string }[];
      const adminId = users.find((u) => u.username === 'admin')?.id;
      const demote = await svc.api('PATCH', `/api/v1/users/${adminId}`, { role: 'editor' });
      assert.equal(demote.status, 409);
      assert.equal(demote.body.error.code, 'LAST_ADMIN');
      const remove = await svc.api('DELETE', `/api/v1/users/${adminId}`);
      assert.equal(remove.body.error.code, 'LAST_ADMIN');

      const second = await addMember(svc, 'ada', 'admin');
      const secondId = (await svc.api('GET', '/api/v1/users')).body.data.find(
        (u: { username: string }) => u.username === 'ada',
      ).id;
      // Ada demotes herself to editor: allowed, the first admin remains; her admin token now acts as an editor.
      const self = await bearer(svc, second.token, 'PATCH', `/api/v1/users/${secondId}`, { role: 'editor' });
      assert.equal(self.status, 200);
      assert.equal(self.body.role, 'editor');
      const after = await bearer(svc, second.token, 'GET', '/api/v1/users');
      assert.equal(after.status, 403);
      assert.equal(after.body.error.code, 'FORBIDDEN');
      const me = await bearer(svc, second.token, 'GET', '/api/v1/session');
      assert.deepEqual([me.body.role, me.body.user_role], ['editor', 'editor']);

      // Removed: her token and session stop working at once.
      assert.equal((await svc.api('DELETE', `/api/v1/users/${secondId}`)).status, 204);
      assert.equal((await bearer(svc, second.token, 'GET', '/api/v1/session')).status, 401);
      const session = await fetch(`${svc.baseUrl}/api/v1/session`, { headers: { cookie: second.cookie } });
      assert.equal(session.status, 401);
      assert.equal((await svc.api('DELETE', `/api/v1/users/${secondId}`)).body.error.code, 'NOT_FOUND');
    });

    test("the CLI's refused-token message names the console's API tokens page, and that page exists", async () => {
      const refused = await createApiClient({ baseUrl: svc.baseUrl, token: 'kst_revoked' })
        .request('GET', '/api/v1/subscriptions')
        .then(
          () => assert.fail('a wrong token was accepted'),
          (err: ApiError) => err,
        );
      const named = /(http:\/\/\S+\/tokens)\b/.exec(refused.message)?.[1];
      assert.ok(named, `no page address in: ${refused.message}`);
      const page = await fetch(named);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    });

    test("a token's role is at most its maker's; viewers see their own tokens, an admin sees and revokes all", async () => {
      const ed = await addMember(svc, 'eddie', 'editor');
      const high = await bearer(svc, ed.token, 'POST', '/api/v1/tokens', { name: 'too much', role: 'admin' });
      assert.equal(high.status, 403);
      assert.equal(high.body.error.code, 'FORBIDDEN');
      assert.equal(high.body.error.field, 'role');

      const low = await bearer(svc, ed.token, 'POST', '/api/v1/tokens', {
        name: 'dashboards',
        role: 'viewer',
      });
      assert.equal(low.status, 201);
      assert.equal(low.body.role, 'viewer');
      const write = await bearer(svc, low.body.token, 'POST', '/api/v1/subscriptions', { name: 'x' });
      assert.equal(write.status, 403);
      assert.equal((await bearer(svc, low.body.token, 'GET', '/api/v1/subscriptions')).status, 200);
      // A viewer token may make only viewer tokens.
      const fromViewer = await bearer(svc, low.body.token, 'POST', '/api/v1/tokens', {
        name: 'n',
        role: 'editor',
      });
      assert.equal(fromViewer.status, 403);

      const own = await bearer(svc, ed.token, 'GET', '/api/v1/tokens');
      assert.deepEqual(
        own.body.data.map((t: { name: string; role: string; owner: string }) => [t.name, t.role, t.owner]),
        [
          ['eddie-token', 'editor', 'eddie'],
          ['dashboards', 'viewer', 'eddie'],
        ],
      );
      assert.equal(JSON.stringify(own.body).includes(low.body.token), false);
      const adminTokenId = (await svc.api('GET', '/api/v1/tokens')).body.data.find(
        (t: { owner: string }) => t.owner === 'admin',
      ).id;
      const notYours = await bearer(svc, ed.token, 'DELETE', `/api/v1/tokens/${adminTokenId}`);
      assert.equal(notYours.status, 404);

      const all = await svc.api('GET', '/api/v1/tokens');
      const owners = new Set(all.body.data.map((t: { owner: string }) => t.owner));
      assert.ok(owners.has('admin') && owners.has('eddie'));
      assert.equal((await svc.api('DELETE', `/api/v1/tokens/${low.body.id}`)).status, 204);
      assert.equal((await bearer(svc, low.body.token, 'GET', '/api/v1/subscriptions')).status, 401);
    });

    test('two admins demoting each other at once: one wins, one admin remains', async () => {
      const other = await addMember(svc, `boss-${Date.now()}`, 'admin');
      const users = (await svc.api('GET', '/api/v1/users')).body.data as { id: string; username: string }[];
      const adminId = users.find((u) => u.username === 'admin')?.id;
      const otherId = users.find((u) => u.username === other.username)?.id;
      const [a, b] = await Promise.all([
        svc.api('PATCH', `/api/v1/users/${otherId}`, { role: 'viewer' }),
        bearer(svc, other.token, 'PATCH', `/api/v1/users/${adminId}`, { role: 'viewer' }),
      ]);
      const statuses = [a.status, b.status].sort();
      // The later of the two finds the other already demoted: it is the last admin (409), or no longer
      // an admin itself (403).
      assert.equal(statuses[0], 200, JSON.stringify([a.body, b.body]));
      assert.ok([403, 409].includes(statuses[1]), JSON.stringify([a.body, b.body]));
      const asAdmin = await svc.api('GET', '/api/v1/users');
      const list = asAdmin.status === 200 ? asAdmin : await bearer(svc, other.token, 'GET', '/api/v1/users');
      assert.equal(list.body.data.filter((u: { role: string }) => u.role === 'admin').length, 1);
    });
  });
