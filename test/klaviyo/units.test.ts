import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SlidingWindowLog, windowsFor } from '../../src/klaviyo/budgets.ts';
import { ENDPOINTS, OAUTH_SCOPES, tierKey } from '../../src/klaviyo/endpoints.ts';
import { DEFAULT_OAUTH_SCOPES } from '../../src/oauth/provider.ts';
import { DEFAULT_REVISION } from '../../src/klaviyo/revisions.ts';
import { DEFAULT_REVISION as CONSOLE_DEFAULT_REVISION } from '../../src/web/pages/settingsFields.ts';
import { retryAfterMs as transferRetryAfter } from '../../src/transfer/retry.ts';
import {
  classifyStatus,
  errorFromFailure,
  errorFromResponse,
  KlaviyoError,
  parseKlaviyoErrors,
} from '../../src/klaviyo/errors.ts';
import { MemoryRateBudgetStore } from '../../src/klaviyo/index.ts';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  decideRetry,
  headerValue,
  parseRetryAfter,
  type RetryPolicy,
} from '../../src/klaviyo/retry.ts';
import { budgetCases } from './budget-cases.ts';
import { sharedFile } from './shared-spec.ts';

describe('error parsing', () => {
  test('reads errors[] with code, title, detail, source and meta', () => {
    const errors = parseKlaviyoErrors({
      errors: [
        {
          id: 'x',
          status: '409',
          code: 'duplicate_profile',
          title: 'Conflict.',
          detail: 'exists',
          source: { pointer: '/data/attributes' },
          meta: { duplicate_profile_id: '01ABC' },
        },
        { code: 'invalid', source: { parameter: 'include' } },
        'junk',
      ],
    });
    assert.equal(errors.length, 2);
    assert.equal(errors[0].status, 409);
    assert.equal(errors[0].source?.pointer, '/data/attributes');
    assert.equal(errors[0].meta?.duplicate_profile_id, '01ABC');
    assert.equal(errors[1].source?.parameter, 'include');
  });

  test('tolerates bodies that are not JSON:API', () => {
    assert.deepEqual(parseKlaviyoErrors('<html>Bad gateway</html>'), []);
    assert.deepEqual(parseKlaviyoErrors({ errors: 'nope' }), []);
    assert.deepEqual(parseKlaviyoErrors(undefined), []);
    const err = errorFromResponse({ status: 502, body: '<html>', authKind: 'api_key' });
    assert.equal(err.code, 'KLAVIYO_UNAVAILABLE');
    assert.equal(err.kind, 'transient');
  });

  test('classifies statuses into kinds', () => {
    assert.equal(classifyStatus(429), 'transient');
    assert.equal(classifyStatus(500), 'transient');
    assert.equal(classifyStatus(503), 'transient');
    assert.equal(classifyStatus(401), 'auth');
    assert.equal(classifyStatus(403), 'auth');
    assert.equal(classifyStatus(409), 'conflict');
    assert.equal(classifyStatus(404), 'not_found');
    assert.equal(classifyStatus(400), 'invalid');
    assert.equal(classifyStatus(413), 'invalid');
  });

  test('maps to stable project codes by status, Klaviyo code and pointer', () => {
    const code = (status: number, body: unknown, authKind: 'api_key' | 'oauth' = 'api_key') =>
      errorFromResponse({ status, body, authKind }).code;
    const at = (pointer: string) => ({ errors: [{ code: 'invalid', source: { pointer } }] });
    assert.equal(code(400, at('/data/attributes/phone_number')), 'KLAVIYO_PHONE_INVALID');
    assert.equal(code(400, at('/data/attributes/email')), 'KLAVIYO_EMAIL_INVALID');
    assert.equal(code(400, at('/data/attributes/title')), 'KLAVIYO_INVALID_INPUT');
    assert.equal(code(401, {}, 'api_key'), 'AUTH_INVALID_KEY');
    assert.equal(code(401, {}, 'oauth'), 'AUTH_REVOKED');
    assert.equal(code(403, {}), 'AUTH_FORBIDDEN_SCOPE');
    assert.equal(code(409, { errors: [{ code: 'duplicate_profile' }] }), 'KLAVIYO_DUPLICATE_PROFILE');
    assert.equal(code(409, { errors: [{ code: 'conflict' }] }), 'KLAVIYO_CONFLICT');
    assert.equal(code(404, {}), 'KLAVIYO_NOT_FOUND');
    assert.equal(code(413, {}), 'KLAVIYO_PAYLOAD_TOO_LARGE');
    assert.equal(code(429, {}), 'KLAVIYO_RATE_LIMITED');
    assert.equal(code(504, {}), 'KLAVIYO_TIMEOUT');
  });

  test('failures below HTTP: timeouts and network errors are transient with status 0', () => {
    const timeout = errorFromFailure(
      Object.assign(new Error('Headers Timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
    );
    assert.equal(timeout.code, 'KLAVIYO_TIMEOUT');
    assert.equal(timeout.status, 0);
    assert.equal(timeout.kind, 'transient');
    const refused = errorFromFailure(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );
    assert.equal(refused.code, 'KLAVIYO_NETWORK_ERROR');
    assert.equal(refused.kind, 'transient');
  });
});

describe('retry decisions and backoff', () => {
  const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxTotalWaitMs: 5000 };
  const transient = (retryAfterMs?: number) =>
    new KlaviyoError({
      status: 503,
      code: 'KLAVIYO_UNAVAILABLE',
      kind: 'transient',
      message: 'x',
      retryAfterMs,
    });

  test('Retry-After header is found whatever its case', () => {
    assert.equal(headerValue({ 'Retry-After': '3' }, 'retry-after'), '3');
    assert.equal(headerValue({ 'RETRY-AFTER': ['4', '9'] }, 'Retry-After'), '4');
    assert.equal(headerValue({ other: '1' }, 'retry-after'), undefined);
  });

  test('Retry-After in seconds or as an HTTP date', () => {
    const now = Date.parse('2026-07-15T10:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter(' 0.5 ', now), 500);
    assert.equal(parseRetryAfter('Wed, 15 Jul 2026 10:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter('Wed, 15 Jul 2026 09:59:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  test('one Retry-After parser for the service: capped at 24 h, no negative or odd delays', () => {
    const now = Date.parse('2026-07-15T10:00:00Z');
    // A 429 blocks its whole tier until Retry-After: a year-long value must not park the tier for a year.
    assert.equal(parseRetryAfter('99999999', now), 24 * 60 * 60_000);
    assert.equal(parseRetryAfter('Wed, 15 Jul 2099 10:00:00 GMT', now), 24 * 60 * 60_000);
    assert.equal(parseRetryAfter('-5', now), undefined);
    assert.equal(parseRetryAfter('1e3', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
    // The transfer engine and webhook deliveries use the same function.
    assert.equal(transferRetryAfter, parseRetryAfter);
  });

  test('full jitter stays within [0, min(max, base * 2^(n-1)))', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      assert.equal(
        backoffDelay(attempt, policy, () => 0),
        0,
      );
      const top = backoffDelay(attempt, policy, () => 0.999999);
      assert.ok(top < ceiling && top >= ceiling - 1, `attempt ${attempt}: ${top} vs ceiling ${ceiling}`);
    }
  });

  test('never sooner than Retry-After, even when the jitter draws small', () => {
    const d = decideRetry(transient(2000), 1, 0, policy, () => 0);
    assert.deepEqual(d, { retry: true, delayMs: 2000 });
  });

  test('does not retry non-transient errors', () => {
    for (const kind of ['auth', 'conflict', 'not_found', 'invalid'] as const) {
      const err = new KlaviyoError({ status: 400, code: 'KLAVIYO_INVALID_INPUT', kind, message: 'x' });
      assert.equal(decideRetry(err, 1, 0, policy, () => 0.5).retry, false);
    }
  });

  test('gives up at the attempt bound and at the total-wait bound', () => {
    assert.equal(decideRetry(transient(), 3, 0, policy, () => 0.5).retry, true);
    assert.equal(decideRetry(transient(), 4, 0, policy, () => 0.5).retry, false);
    assert.equal(decideRetry(transient(1000), 1, 4500, policy, () => 0).retry, false);
    assert.equal(decideRetry(transient(60_000), 1, 0, DEFAULT_RETRY_POLICY, () => 0).retry, true);
    assert.equal(decideRetry(transient(600_000), 1, 0, DEFAULT_RETRY_POLICY, () => 0).retry, false);
  });
});

describe('budget arithmetic (injected clock)', () => {
  const t0 = 1_000_000;

  test('a sliding log allows `limit` grants in any window and says when the next slot frees', () => {
    const log = new SlidingWindowLog();
    for (const t of [0, 300, 600]) {
      assert.equal(log.waitFor(t0 + t, 1000, 3), 0);
      log.add(t0 + t);
    }
    assert.equal(log.waitFor(t0 + 700, 1000, 3), 300, 'the grant at 0 frees at 1000');
    assert.equal(log.waitFor(t0 + 1000, 1000, 3), 0);
    log.add(t0 + 1000);
    assert.equal(log.waitFor(t0 + 1100, 1000, 3), 200, 'the grant at 300 frees at 1300');
    assert.equal(log.count(t0 + 2000, 1000), 0);
  });

  // The store cases are shared with the PostgreSQL store's tests (budget-cases.ts).
  for (const c of budgetCases) test(`memory store: ${c.name}`, () => c.run(new MemoryRateBudgetStore()));

  test('a daily cap adds a third window', () => {
    const windows = windowsFor({ burst: 10, steady: 150, daily: 150 }, 0);
    assert.deepEqual(
      windows.map((w) => [w.name, w.limit, w.windowMs]),
      [
        ['burst', 10, 1000],
        ['steady', 150, 60_000],
        ['daily', 150, 86_400_000],
      ],
    );
  });
});

describe('default revision', () => {
  test('the console shows the client’s default revision', () => {
    assert.equal(CONSOLE_DEFAULT_REVISION, DEFAULT_REVISION);
  });
});

describe('endpoint table', () => {
  const tsv = sharedFile('operations-ratelimits-scopes.tsv');
  test('matches the spec’s method, path and limits for every operation', { skip: tsv.skipReason }, () => {
    const rows = new Map<string, string[]>();
    for (const line of (tsv.text ?? '').split('\n')) {
      if (line.startsWith('#') || line.startsWith('tag\t') || !line.trim()) continue;
      const cols = line.split('\t');
      rows.set(cols[3], cols);
    }
    for (const spec of ENDPOINTS.values()) {
      const row = rows.get(spec.operationId);
      assert.ok(row, `${spec.operationId} is not in the spec`);
      const [, method, path, , burst, steady, daily] = row;
      assert.equal(spec.method, method, spec.operationId);
      assert.equal(spec.path, path, spec.operationId);
      assert.equal(`${spec.tier.burst}/s`, burst, spec.operationId);
      assert.equal(`${spec.tier.steady}/m`, steady, spec.operationId);
      assert.equal(spec.tier.daily ? `${spec.tier.daily}/d` : '', daily, spec.operationId);
    }
    assert.equal(tierKey({ burst: 3, steady: 60 }), '3/s:60/m');
  });

  test('carries each operation’s scopes as the spec lists them', { skip: tsv.skipReason }, () => {
    const rows = new Map<string, string[]>();
    for (const line of (tsv.text ?? '').split('\n')) {
      if (line.startsWith('#') || line.startsWith('tag\t') || !line.trim()) continue;
      const cols = line.split('\t');
      rows.set(cols[3], cols);
    }
    const needed = new Set<string>();
    for (const spec of ENDPOINTS.values()) {
      const row = rows.get(spec.operationId);
      assert.ok(row, `${spec.operationId} is not in the spec`);
      const fromSpec = row[7].split(/\s+/).filter(Boolean).sort();
      for (const scope of fromSpec) needed.add(scope);
      assert.deepEqual([...(spec.scopes ?? [])].sort(), fromSpec, `${spec.operationId} scopes`);
    }
    // Authenticate asks for exactly what the operations need: nothing missing, nothing extra.
    assert.deepEqual([...OAUTH_SCOPES], [...needed].sort());
    assert.ok(OAUTH_SCOPES.includes('data-privacy:write'), 'privacy deletion needs data-privacy:write');
    assert.deepEqual([...DEFAULT_OAUTH_SCOPES], [...OAUTH_SCOPES]);
  });
});
