// The role matrix across EVERY route of the REST API, enumerated from the OpenAPI document the service
// serves at /docs/json: a viewer's changes are refused with 403 FORBIDDEN, an editor's admin actions too,
// and without credentials nothing but the documented public routes answers. The expected role of each
// route is written here independently of the server (the documented matrix in docs/security.md), so a
// route that forgets its role, or a default that drifts, fails this test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ROLES, type Role } from '../../src/domain/roles.ts';
import { guardedRoutes } from '../../src/http/auth-guard.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { addMember, type TeamMember } from '../helpers/team.ts';

/** Operations anyone may call (docs/security.md, "What needs sign-in"). */
const PUBLIC = new Set(['POST /api/v1/session', 'POST /api/v1/setup', 'POST /hooks/{subscriptionId}']);

/** Routes whose role is not the default (reads viewer, changes editor): docs/security.md, Roles. */
const EXCEPTIONS: Record<string, Role> = {
  'GET /api/v1/users': 'admin',
  'PATCH /api/v1/users/{id}': 'admin',
  'DELETE /api/v1/users/{id}': 'admin',
  'GET /api/v1/invitations': 'admin',
  'POST /api/v1/invitations': 'admin',
  'DELETE /api/v1/invitations/{id}': 'admin',
  'POST /api/v1/webhooks': 'admin',
  'PATCH /api/v1/webhooks/{id}': 'admin',
  'DELETE /api/v1/webhooks/{id}': 'admin',
  'POST /api/v1/webhooks/{id}/rotate-secret': 'admin',
  // Alert channels are the service's settings (a mail server's password, where alerts go).
  'PUT /api/v1/alerts/settings/email': 'admin',
  'PUT /api/v1/alerts/settings/slack': 'admin',
  'DELETE /api/v1/alerts/settings/{id}': 'admin',
  'POST /api/v1/alerts/test': 'admin',
  // Your own session and tokens: everyone.
  'DELETE /api/v1/session': 'viewer',
  'POST /api/v1/tokens': 'viewer',
  'DELETE /api/v1/tokens/{id}': 'viewer',
  // Changes nothing, though it is a POST.
  'POST /api/v1/collections/{id}/preview': 'viewer',
  // Links the subscription to an account, though it is a GET.
  'GET /api/v1/subscriptions/{id}/oauth/start': 'editor',
};

function expectedRole(method: string, path: string): Role {
  return EXCEPTIONS[`${method} ${path}`] ?? (method === 'GET' ? 'viewer' : 'editor');
}

interface Operation {
  method: string;
  path: string;
  documentedRole?: string;
  security?: unknown[];
}

/** A path with its parameters filled by an id that names nothing, so allowed calls change nothing. */
function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, 'role-test-none');
}

const UNAUTHENTICATED_CODES = new Set(['UNAUTHENTICATED', 'SESSION_EXPIRED']);

describe('the role matrix across every REST route', () => {
  let svc: TestService;
  let viewer: TeamMember;
  let editor: TeamMember;
  let operations: Operation[] = [];

  before(async () => {
    svc = await startTestService({ env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' } });
    viewer = await addMember(svc, 'vera', 'viewer');
    editor = await addMember(svc, 'ed', 'editor');
    const doc = await (await fetch(`${svc.baseUrl}/docs/json`)).json();
    for (const [path, ops] of Object.entries<Record<string, Record<string, unknown>>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        operations.push({
          method: method.toUpperCase(),
          path,
          documentedRole: op['x-required-role'] as string | undefined,
          security: op.security as unknown[] | undefined,
        });
      }
    }
    operations = operations.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
  });
  after(async () => {
    await svc?.close();
  });

  async function call(op: Operation, headers: Record<string, string>) {
    const res = await fetch(`${svc.baseUrl}${concrete(op.path)}`, {
      method: op.method,
      headers: { ...(op.method === 'GET' ? {} : { 'content-type': 'application/json' }), ...headers },
      body: op.method === 'GET' ? undefined : '{}',
      redirect: 'manual',
    });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = JSON.parse(text)?.error?.code;
    } catch {
      code = undefined;
    }
    return { status: res.status, code };
  }

  test('the served OpenAPI lists every protected route, and names the role each needs', () => {
    assert.ok(operations.length > 60, `only ${operations.length} operations in /docs/json`);
    const listed = new Set(operations.map((op) => `${op.method} ${op.path}`));
    const missing = guardedRoutes(svc.service.server)
      .filter((r) => r.role !== null && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
      .filter((key) => !listed.has(key));
    assert.deepEqual(missing, [], 'protected routes missing from the OpenAPI document');
    for (const op of operations) {
      const key = `${op.method} ${op.path}`;
      if (PUBLIC.has(key)) {
        assert.deepEqual(op.security, [], `${key} is public: its operation says security: []`);
        continue;
      }
      assert.equal(op.documentedRole, expectedRole(op.method, op.path), `${key}: x-required-role`);
    }
    const documentedPublic = operations
      .filter((op) => op.security?.length === 0)
      .map((op) => `${op.method} ${op.path}`);
    assert.deepEqual(documentedPublic.sort(), [...PUBLIC].sort(), 'the public operations');
  });

  test('without credentials every route but the public ones answers 401', async () => {
    const through: string[] = [];
    for (const op of operations) {
      if (PUBLIC.has(`${op.method} ${op.path}`)) continue;
      const { status, code } = await call(op, {});
      if (status !== 401 || !UNAUTHENTICATED_CODES.has(code ?? ''))
        through.push(`${op.method} ${op.path} → ${status} ${code}`);
    }
    assert.deepEqual(through, []);
    // A wrong token gets no further.
    const wrong: string[] = [];
    for (const op of operations) {
      if (PUBLIC.has(`${op.method} ${op.path}`)) continue;
      const { status } = await call(op, { authorization: 'Bearer kst_not-a-token' });
      if (status !== 401) wrong.push(`${op.method} ${op.path} → ${status}`);
    }
    assert.deepEqual(wrong, []);
  });

  for (const role of ROLES) {
    test(`${role === 'viewer' ? 'a' : 'an'} ${role} token gets 403 FORBIDDEN exactly where the matrix says`, async () => {
      const token = role === 'viewer' ? viewer.token : role === 'editor' ? editor.token : svc.adminToken;
      const wrong: string[] = [];
      let refused = 0;
      let allowed = 0;
      for (const op of operations) {
        if (PUBLIC.has(`${op.method} ${op.path}`)) continue;
        // Signing out with a token ends nothing; revoking would end this loop's credential.
        const needed = expectedRole(op.method, op.path);
        const may = ROLES.indexOf(role) >= ROLES.indexOf(needed);
        const { status, code } = await call(op, { authorization: `Bearer ${token}` });
        if (may) {
          allowed++;
          if (status === 401 || status === 403)
            wrong.push(`${op.method} ${op.path}: allowed, got ${status} ${code}`);
        } else {
          refused++;
          if (status !== 403 || code !== 'FORBIDDEN')
            wrong.push(`${op.method} ${op.path}: refused, got ${status} ${code}`);
        }
      }
      assert.deepEqual(wrong, []);
      // The counts go in the report (docs/security.md quotes them).
      console.log(`${role}: ${allowed} routes allowed, ${refused} refused with 403`);
      if (role === 'admin') assert.equal(refused, 0);
      else assert.ok(refused > 0);
    });
  }

  test("a viewer's session (with its CSRF token) is refused changes the same way", async () => {
    for (const [method, path] of [
      ['POST', '/api/v1/subscriptions'],
      ['PUT', '/api/v1/customers/c1'],
      ['POST', '/api/v1/transfers/replay'],
      ['POST', '/api/v1/invitations'],
    ]) {
      const res = await fetch(`${svc.baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', cookie: viewer.cookie, 'x-csrf-token': viewer.csrf },
        body: '{}',
      });
      assert.equal(res.status, 403, `${method} ${path}`);
      const body = await res.json();
      assert.equal(body.error.code, 'FORBIDDEN');
      assert.match(body.error.message, /viewer|admin/);
    }
  });

  test('docs/security.md and docs/api.md document FORBIDDEN and every exception of the matrix', () => {
    const security = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
    const api = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const errors = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    assert.match(errors, /### `FORBIDDEN` \(HTTP 403\)/);
    for (const key of Object.keys(EXCEPTIONS)) {
      const [method, path] = key.split(' ');
      const shown = `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
      assert.ok(security.includes(shown), `docs/security.md names ${shown}`);
    }
    assert.match(api, /x-required-role/);
    // Every row of docs/api.md's table says what the served document says (new routes may be missing
    // from it; a listed one may not be wrong), and every non-default route is listed.
    const served = new Map(
      operations.map((op) => [
        `${op.method} ${op.path.replace(/\{(\w+)\}/g, ':$1')}`,
        op.security?.length === 0 ? 'public' : op.documentedRole,
      ]),
    );
    const listed = new Map<string, string>();
    for (const m of api.matchAll(/^\| `([^`]+)` \| (GET|POST|PUT|PATCH|DELETE) \| (\w+) \|$/gm)) {
      listed.set(`${m[2]} ${m[1]}`, m[3]);
    }
    assert.ok(listed.size > 60, `docs/api.md lists ${listed.size} routes`);
    for (const [key, role] of listed) assert.equal(role, served.get(key), `docs/api.md: ${key}`);
    for (const key of [...Object.keys(EXCEPTIONS), ...PUBLIC]) {
      const shown = key.replace(/\{(\w+)\}/g, ':$1');
      assert.ok(listed.has(shown), `docs/api.md lists ${shown}`);
    }
  });
});
