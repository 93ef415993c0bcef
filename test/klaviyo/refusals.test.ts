// How the client reads Klaviyo's refusals that are about the subscription rather than the record: missing
// scopes (named), authentication failures recognised by their error codes at any status, and retired or
// unknown API revisions. A tiny local server answers as Klaviyo does; the sandbox answers the revision cases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createKlaviyoClient, DEFAULT_REVISION, KlaviyoError } from '../../src/klaviyo/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { json, startServer } from './helpers.ts';

type Answer = { status: number; body: unknown };

function klaviyoError(status: number, code: string, detail: string, source?: object) {
  return {
    errors: [{ id: 'e1', status, code, title: 'Refused.', detail, ...(source ? { source } : {}), meta: {} }],
  };
}

async function failure(run: () => Promise<unknown>): Promise<KlaviyoError> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof KlaviyoError, `a KlaviyoError, got ${String(err)}`);
    return err;
  }
  assert.fail('the call should have failed');
}

describe('refusals about the subscription, not the record', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let next: Answer = { status: 200, body: {} };
  before(async () => {
    server = await startServer((_req, res) => json(res, next.status, next.body));
  });
  after(() => server.close());

  const keyClient = () =>
    createKlaviyoClient({
      baseUrl: server.baseUrl,
      auth: { kind: 'api_key', apiKey: 'pk_refusals' },
      budgetKey: `refusals-${Math.random()}`,
      budgets: false,
      retry: { maxAttempts: 1 },
    });

  test('a 403 names the scopes the operation needs that the OAuth grant lacks', async () => {
    next = { status: 403, body: klaviyoError(403, 'permission_denied', 'You do not have permission.') };
    let refreshes = 0;
    const client = createKlaviyoClient({
      baseUrl: server.baseUrl,
      auth: {
        kind: 'oauth',
        tokens: {
          getAccessToken: async () => 'at_1',
          refreshAccessToken: async () => {
            refreshes++;
            return 'at_2';
          },
          grantedScopes: async () => ['accounts:read', 'profiles:read', 'profiles:write'],
        },
      },
      budgetKey: `refusals-${Math.random()}`,
      budgets: false,
      retry: { maxAttempts: 1 },
    });
    const err = await failure(() => client.dataPrivacy.requestDeletion({ email: 'gone@example.com' }));
    assert.equal(err.code, 'AUTH_FORBIDDEN_SCOPE');
    assert.equal(err.kind, 'auth');
    assert.deepEqual(err.missingScopes, ['data-privacy:write']);
    assert.match(err.message, /data-privacy:write/);
    assert.equal(refreshes, 0, 'a missing scope is not cured by a refresh');
    // Of bulk subscribe's three scopes, only the one not granted is named.
    const sub = await failure(() =>
      client.subscriptions.subscribe([
        { email: 'a@example.com', subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } } },
      ]),
    );
    assert.deepEqual(sub.missingScopes, ['lists:write', 'subscriptions:write']);
  });

  test('with a private key (grant unknown) a 403 names every scope the operation needs', async () => {
    next = { status: 403, body: klaviyoError(403, 'permission_denied', 'You do not have permission.') };
    const err = await failure(() => keyClient().lists.addMembers('L1', ['P1']));
    assert.equal(err.code, 'AUTH_FORBIDDEN_SCOPE');
    assert.deepEqual(err.missingScopes, ['lists:write', 'profiles:write']);
    assert.match(err.message, /lists:write, profiles:write/);
  });

  for (const status of [400, 401, 403]) {
    for (const code of ['not_authenticated', 'authentication_failed']) {
      test(`a ${status} with Klaviyo's ${code} is a rejected key, not a refused record`, async () => {
        next = { status, body: klaviyoError(status, code, 'Incorrect authentication credentials.') };
        const err = await failure(() =>
          keyClient().profiles.importProfile({ attributes: { email: 'a@b.co' } }),
        );
        assert.equal(err.code, 'AUTH_INVALID_KEY');
        assert.equal(err.kind, 'auth');
      });
    }
  }

  test('an OAuth 400 not_authenticated refreshes once, then is a revoked authorization', async () => {
    next = {
      status: 400,
      body: klaviyoError(400, 'not_authenticated', 'Authentication credentials were not provided.'),
    };
    let refreshes = 0;
    const client = createKlaviyoClient({
      baseUrl: server.baseUrl,
      auth: {
        kind: 'oauth',
        tokens: {
          getAccessToken: async () => `at_${refreshes}`,
          refreshAccessToken: async () => `at_${++refreshes}`,
        },
      },
      budgetKey: `refusals-${Math.random()}`,
      budgets: false,
      retry: { maxAttempts: 1 },
    });
    const err = await failure(() => client.accounts.get());
    assert.equal(err.code, 'AUTH_REVOKED');
    assert.equal(refreshes, 1);
  });

  test('an ordinary 400 stays a refusal of the record', async () => {
    next = {
      status: 400,
      body: klaviyoError(400, 'invalid', 'Invalid email address.', { pointer: '/data/attributes/email' }),
    };
    const err = await failure(() => keyClient().profiles.importProfile({ attributes: { email: 'x' } }));
    assert.equal(err.code, 'KLAVIYO_EMAIL_INVALID');
    assert.equal(err.kind, 'invalid');
  });

  test('a 410 is a retired revision, whatever the path', async () => {
    next = { status: 410, body: klaviyoError(410, 'gone', 'This revision has been retired.') };
    const err = await failure(() => keyClient().profiles.get('P1'));
    assert.equal(err.code, 'KLAVIYO_REVISION_RETIRED');
    assert.equal(err.kind, 'auth', 'it pauses the subscription');
    assert.match(err.message, new RegExp(DEFAULT_REVISION));
  });
});

describe('revisions against the sandbox', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({ rateLimits: false });
  });
  after(() => sandbox.close());

  const withRevision = (revision: string) =>
    createKlaviyoClient({
      baseUrl: sandbox.url,
      auth: { kind: 'api_key', apiKey: sandbox.apiKey },
      revision,
      budgetKey: `revision-${Math.random()}`,
      budgets: false,
      retry: { maxAttempts: 1 },
    });

  test('a retired revision answers 410: its own code, naming the revision to move to', async () => {
    const err = await failure(() => withRevision('2023-10-15').accounts.get());
    assert.equal(err.status, 410);
    assert.equal(err.code, 'KLAVIYO_REVISION_RETIRED');
    assert.match(err.message, /2023-10-15/);
    assert.match(err.message, new RegExp(`API Revision to ${DEFAULT_REVISION}`));
  });

  test('an unknown revision (400 on the revision header) has its own code too', async () => {
    const err = await failure(() => withRevision('2026-02-30').accounts.get());
    assert.equal(err.status, 400);
    assert.equal(err.code, 'KLAVIYO_REVISION_UNKNOWN');
    assert.equal(err.kind, 'auth');
    assert.match(err.message, /2026-02-30/);
  });
});
