import assert from 'node:assert/strict';
import { setTimeout as realDelay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import {
  createKlaviyoClient,
  type ExchangeSummary,
  KlaviyoError,
  type KlaviyoClientOptions,
  MemoryRateBudgetStore,
  type TokenProvider,
} from '../../src/klaviyo/index.ts';
import { type Handler, json, type Recorded, startServer, virtualTime } from './helpers.ts';

const API_KEY = 'pk_test_secret_0123456789';

async function withServer(handler: Handler, run: (baseUrl: string, requests: Recorded[]) => Promise<void>) {
  const server = await startServer(handler);
  try {
    await run(server.baseUrl, server.requests);
  } finally {
    await server.close();
  }
}

function options(baseUrl: string, extra: Partial<KlaviyoClientOptions> = {}): KlaviyoClientOptions {
  const time = virtualTime();
  return {
    baseUrl,
    auth: { kind: 'api_key', apiKey: API_KEY },
    budgetKey: `acct-${Math.random()}`,
    budgets: new MemoryRateBudgetStore(),
    now: time.now,
    sleep: time.sleep,
    ...extra,
  };
}

const account = { data: [{ type: 'account', id: 'ACC1', attributes: { test_account: true } }] };

describe('transport', () => {
  test('sends the revision, JSON:API types and the API key; parses the account', async () => {
    await withServer(
      (_req, res) => json(res, 200, account),
      async (baseUrl, requests) => {
        const client = createKlaviyoClient(options(baseUrl));
        const got = await client.accounts.get();
        assert.equal(got.id, 'ACC1');
        const sent = requests[0];
        assert.equal(sent.method, 'GET');
        assert.equal(sent.url, '/api/accounts');
        assert.equal(sent.headers.revision, '2026-07-15');
        assert.equal(sent.headers.accept, 'application/vnd.api+json');
        assert.equal(sent.headers.authorization, `Klaviyo-API-Key ${API_KEY}`);
      },
    );
  });

  test('a 429 with Retry-After: 2 waits at least 2 s, then succeeds', async () => {
    let calls = 0;
    await withServer(
      (_req, res) => {
        calls++;
        if (calls === 1)
          json(res, 429, { errors: [{ code: 'throttled', title: 'Throttled' }] }, { 'Retry-After': '2' });
        else json(res, 200, account);
      },
      async (baseUrl) => {
        const time = virtualTime();
        const client = createKlaviyoClient(
          options(baseUrl, { now: time.now, sleep: time.sleep, random: () => 0.999 }),
        );
        const got = await client.accounts.get();
        assert.equal(got.id, 'ACC1');
        assert.equal(calls, 2);
        const waited = time.sleeps.reduce((a, b) => a + b, 0);
        assert.ok(waited >= 2000, `waited only ${waited} ms`);
        const stats = await client.stats();
        assert.equal(stats.rateLimited, 1);
        assert.equal(stats.retries, 1);
      },
    );
  });

  test('20 concurrent calls on a 3/s tier never put more than 3 requests in any 1 s at the server', async () => {
    // A real clock sped up 4x: the server stamps arrivals on the same clock the client budgets with. The
    // 400 ms margin (100 ms real) absorbs event-loop lag between a grant and its arrival on a busy machine.
    const scale = 4;
    const origin = performance.now();
    const now = () => 1_700_000_000_000 + (performance.now() - origin) * scale;
    const arrivals: number[] = [];
    await withServer(
      (_req, res) => {
        arrivals.push(now());
        json(res, 202, undefined);
      },
      async (baseUrl) => {
        // Warm the path first (sockets, lazily compiled code), unbudgeted, so a loaded machine's first-call
        // lag is not taken for the client's pacing; only the measured calls' arrivals count.
        const warm = createKlaviyoClient(options(baseUrl, { budgets: false, concurrency: 3 }));
        await Promise.all(
          Array.from({ length: 3 }, (_, i) =>
            warm.dataPrivacy.requestDeletion({ email: `w${i}@example.com` }),
          ),
        );
        arrivals.length = 0;
        const client = createKlaviyoClient(
          options(baseUrl, {
            now,
            sleep: (ms) => realDelay(ms / scale),
            budgetMarginMs: 400,
            concurrency: 20,
          }),
        );
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            client.dataPrivacy.requestDeletion({ email: `p${i}@example.com` }),
          ),
        );
      },
    );
    assert.equal(arrivals.length, 20);
    arrivals.sort((a, b) => a - b);
    for (let i = 0; i + 3 < arrivals.length; i++) {
      const span = arrivals[i + 3] - arrivals[i];
      assert.ok(span >= 1000, `requests ${i}..${i + 3} arrived within ${span.toFixed(0)} ms`);
    }
  });

  test('a 401 on a bearer token refreshes once, then succeeds with the new token', async () => {
    const seen: string[] = [];
    await withServer(
      (req, res) => {
        seen.push(String(req.headers.authorization));
        if (req.headers.authorization === 'Bearer fresh') json(res, 200, account);
        else json(res, 401, { errors: [{ code: 'not_authenticated', title: 'Not authenticated' }] });
      },
      async (baseUrl) => {
        let current = 'stale';
        const refreshedWith: string[] = [];
        const tokens: TokenProvider = {
          getAccessToken: async () => current,
          refreshAccessToken: async (rejected) => {
            refreshedWith.push(rejected);
            current = 'fresh';
            return current;
          },
        };
        const client = createKlaviyoClient(options(baseUrl, { auth: { kind: 'oauth', tokens } }));
        const got = await client.accounts.get();
        assert.equal(got.id, 'ACC1');
        assert.deepEqual(refreshedWith, ['stale']);
        assert.deepEqual(seen, ['Bearer stale', 'Bearer fresh']);
      },
    );
  });

  test('a second 401 after the refresh fails as an auth error without another refresh', async () => {
    await withServer(
      (_req, res) => json(res, 401, { errors: [{ code: 'not_authenticated', title: 'Not authenticated' }] }),
      async (baseUrl, requests) => {
        let refreshes = 0;
        const tokens: TokenProvider = {
          getAccessToken: async () => 'revoked',
          refreshAccessToken: async () => {
            refreshes++;
            return 'revoked';
          },
        };
        const client = createKlaviyoClient(options(baseUrl, { auth: { kind: 'oauth', tokens } }));
        const err = await client.accounts.get().catch((e: unknown) => e);
        assert.ok(err instanceof KlaviyoError);
        assert.equal(err.kind, 'auth');
        assert.equal(err.code, 'AUTH_REVOKED');
        assert.equal(refreshes, 1);
        assert.equal(requests.length, 2);
      },
    );
  });

  test('a 400 with Klaviyo errors becomes a typed error naming the field, not retried', async () => {
    await withServer(
      (_req, res) =>
        json(res, 400, {
          errors: [
            {
              id: 'e1',
              status: 400,
              code: 'invalid',
              title: 'Invalid input.',
              detail: 'Invalid phone number format',
              source: { pointer: '/data/attributes/phone_number' },
              meta: {},
            },
          ],
        }),
      async (baseUrl, requests) => {
        const client = createKlaviyoClient(options(baseUrl));
        const err = await client.profiles
          .create({ email: 'a@example.com', phone_number: '12' })
          .catch((e) => e);
        assert.ok(err instanceof KlaviyoError);
        assert.equal(err.status, 400);
        assert.equal(err.kind, 'invalid');
        assert.equal(err.code, 'KLAVIYO_PHONE_INVALID');
        assert.equal(err.field, '/data/attributes/phone_number');
        assert.match(err.message, /phone_number/);
        assert.equal(requests.length, 1);
      },
    );
  });

  test('a 409 duplicate_profile carries the existing profile id', async () => {
    await withServer(
      (_req, res) =>
        json(res, 409, {
          errors: [
            {
              id: 'e2',
              status: 409,
              code: 'duplicate_profile',
              title: 'Conflict.',
              detail: 'A profile already exists with one of these identifiers.',
              source: { pointer: '/data/attributes' },
              meta: { duplicate_profile_id: '01DUP' },
            },
          ],
        }),
      async (baseUrl) => {
        const client = createKlaviyoClient(options(baseUrl));
        const err = await client.profiles.create({ email: 'a@example.com' }).catch((e) => e);
        assert.ok(err instanceof KlaviyoError);
        assert.equal(err.kind, 'conflict');
        assert.equal(err.code, 'KLAVIYO_DUPLICATE_PROFILE');
        assert.equal(err.duplicateProfileId, '01DUP');
      },
    );
  });

  test('5xx is retried up to the attempt bound, then thrown as transient', async () => {
    await withServer(
      (_req, res) => json(res, 503, { errors: [] }),
      async (baseUrl, requests) => {
        const client = createKlaviyoClient(options(baseUrl, { retry: { maxAttempts: 3 } }));
        const err = await client.metrics.list().catch((e) => e);
        assert.ok(err instanceof KlaviyoError);
        assert.equal(err.kind, 'transient');
        assert.equal(err.code, 'KLAVIYO_UNAVAILABLE');
        assert.equal(requests.length, 3);
      },
    );
  });

  test('a refused connection is a transient network error', async () => {
    const server = await startServer((_req, res) => json(res, 200, {}));
    const baseUrl = server.baseUrl;
    await server.close();
    const client = createKlaviyoClient(options(baseUrl, { retry: { maxAttempts: 2 } }));
    const err = await client.metrics.list().catch((e) => e);
    assert.ok(err instanceof KlaviyoError);
    assert.equal(err.kind, 'transient');
    assert.equal(err.code, 'KLAVIYO_NETWORK_ERROR');
    assert.equal(err.status, 0);
  });

  test('a server that never answers times out as KLAVIYO_TIMEOUT', async () => {
    await withServer(
      () => {
        // never answers
      },
      async (baseUrl) => {
        const { Agent } = await import('undici');
        const dispatcher = new Agent({ headersTimeout: 100, bodyTimeout: 100 });
        const client = createKlaviyoClient(options(baseUrl, { dispatcher, retry: { maxAttempts: 1 } }));
        const err = await client.metrics.list().catch((e) => e);
        await dispatcher.close();
        assert.ok(err instanceof KlaviyoError);
        assert.equal(err.code, 'KLAVIYO_TIMEOUT');
        assert.equal(err.kind, 'transient');
      },
    );
  });
});

describe('pagination, queries and the exchange hook', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    server = await startServer((req, res) => {
      const url = new URL(req.url, 'http://x');
      const cursor = url.searchParams.get('page[cursor]');
      const page = cursor ? Number(cursor) : 0;
      const data = [0, 1].map((i) => ({ type: 'profile', id: `P${page * 2 + i}`, attributes: {} }));
      const next = page < 2 ? `https://a.klaviyo.com/api/profiles?page%5Bcursor%5D=${page + 1}` : null;
      json(res, 200, { data, links: { self: req.url, next } });
    });
  });
  after(() => server.close());

  test('iterate follows links.next (kept on our own host) until it ends', async () => {
    const client = createKlaviyoClient(options(server.baseUrl));
    const ids: string[] = [];
    for await (const p of client.profiles.iterate({
      filter: 'greater-than(updated,2026-01-01T00:00:00Z)',
      sort: 'updated',
      fields: ['email', 'updated'],
      additionalFields: ['subscriptions'],
      pageSize: 500,
    })) {
      ids.push(p.id);
    }
    assert.deepEqual(ids, ['P0', 'P1', 'P2', 'P3', 'P4', 'P5']);
    const first = new URL(server.requests.at(-3)!.url, 'http://x');
    assert.equal(first.searchParams.get('filter'), 'greater-than(updated,2026-01-01T00:00:00Z)');
    assert.equal(first.searchParams.get('sort'), 'updated');
    assert.equal(first.searchParams.get('fields[profile]'), 'email,updated');
    assert.equal(first.searchParams.get('additional-fields[profile]'), 'subscriptions');
    assert.equal(first.searchParams.get('page[size]'), '100', 'page size is clamped to the endpoint maximum');
  });

  test('the exchange hook sees each call with the credential redacted', async () => {
    const seen: ExchangeSummary[] = [];
    const client = createKlaviyoClient(options(server.baseUrl, { onExchange: (e) => seen.push(e) }));
    await client.profiles.list();
    assert.equal(seen.length, 1);
    assert.equal(seen[0].status, 200);
    assert.equal(seen[0].operationId, 'get_profiles');
    assert.equal(seen[0].requestHeaders.authorization, 'Klaviyo-API-Key [redacted]');
    assert.ok(!JSON.stringify(seen).includes(API_KEY));
  });
});

describe('rate budgets against the server', () => {
  test('RateLimit-Remaining: 0 from the server holds the next call until the reset', async () => {
    await withServer(
      (_req, res) =>
        json(res, 200, account, {
          'RateLimit-Limit': '15',
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': '30',
        }),
      async (baseUrl, requests) => {
        const time = virtualTime();
        const client = createKlaviyoClient(options(baseUrl, { now: time.now, sleep: time.sleep }));
        await client.accounts.get();
        await client.accounts.get();
        assert.equal(requests.length, 2);
        const waited = time.sleeps.reduce((a, b) => a + b, 0);
        assert.ok(waited >= 30_000, `waited ${waited} ms, expected the 30 s reset`);
      },
    );
  });

  test('a 429 blocks the whole tier: another operation of the same tier waits too', async () => {
    let first = true;
    await withServer(
      (_req, res) => {
        if (first) {
          first = false;
          json(res, 429, { errors: [] }, { 'retry-after': '5' });
        } else json(res, 202, undefined);
      },
      async (baseUrl) => {
        const time = virtualTime();
        const store = new MemoryRateBudgetStore();
        const opts = options(baseUrl, {
          now: time.now,
          sleep: time.sleep,
          budgets: store,
          retry: { maxAttempts: 1 },
        });
        const client = createKlaviyoClient(opts);
        // get_lists_for_profile and request_profile_deletion share the 3/s, 60/m tier.
        await assert.rejects(client.dataPrivacy.requestDeletion({ email: 'x@example.com' }), KlaviyoError);
        const stats = await client.stats();
        assert.ok(stats.tiers.some((t) => t.tier === '3/s:60/m' && t.blockedUntil >= time.now() + 5000));
        await client.dataPrivacy.requestDeletion({ email: 'y@example.com' });
        assert.ok(
          time.sleeps.some((ms) => ms >= 5000),
          'the second call waited out the block',
        );
      },
    );
  });

  test('a call waiting for its tier gives up its concurrency slot to other tiers', {
    timeout: 10_000,
  }, async () => {
    await withServer(
      (_req, res) => json(res, 200, account),
      async (baseUrl, requests) => {
        const time = virtualTime();
        const parked: Array<() => void> = [];
        const store = new MemoryRateBudgetStore();
        const client = createKlaviyoClient(
          options(baseUrl, {
            budgets: store,
            budgetKey: 'starve',
            concurrency: 1,
            now: time.now,
            // Waits never end on their own here: the blocked call stays parked.
            sleep: () => new Promise<void>((resolve) => parked.push(resolve)),
          }),
        );
        // Block the 3/s tier (as a 429 would), then ask for a call of it and one of the 1/s tier.
        const stats = await client.stats();
        assert.deepEqual(stats.tiers, []);
        await store.block('starve|3/s:60/m', time.now() + 60_000);
        const starved = client.dataPrivacy.requestDeletion({ id: 'P1' });
        const other = await client.accounts.get();
        assert.equal(other.id, 'ACC1');
        assert.equal(requests.length, 1, 'only the other tier’s call went out');
        assert.equal(parked.length, 1);
        time.advance(60_000);
        parked[0]();
        await starved;
        assert.equal(requests.length, 2);
      },
    );
  });

  test('budgets: false sends without spending or waiting', async () => {
    await withServer(
      (_req, res) => json(res, 202, undefined),
      async (baseUrl, requests) => {
        const time = virtualTime();
        const client = createKlaviyoClient(
          options(baseUrl, { budgets: false, now: time.now, sleep: time.sleep }),
        );
        for (let i = 0; i < 5; i++) await client.dataPrivacy.requestDeletion({ id: `P${i}` });
        assert.equal(requests.length, 5);
        assert.deepEqual(time.sleeps, []);
      },
    );
  });

  test('the subscription throttle applies on top of Klaviyo budgets', async () => {
    await withServer(
      (_req, res) => json(res, 202, undefined),
      async (baseUrl) => {
        const time = virtualTime();
        const client = createKlaviyoClient(
          options(baseUrl, {
            budgets: false,
            throttle: { limit: 2, seconds: 60 },
            now: time.now,
            sleep: time.sleep,
          }),
        );
        for (let i = 0; i < 3; i++) await client.dataPrivacy.requestDeletion({ id: `P${i}` });
        assert.ok(
          time.sleeps.reduce((a, b) => a + b, 0) >= 60_000,
          'the third call waited for the 60 s throttle window',
        );
      },
    );
  });
});
