// Manual-sync debug runs through the real service and the sandbox (docs/transfers.md): each debug transfer's log
// holds every Klaviyo request made for it — method, path, status, redacted bodies — and no secret at all,
// neither the API key nor an OAuth bearer token; ordinary transfers log no requests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isFinishedState } from '../../src/domain/transfer-states.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { authorize, signIn } from '../oauth/connection-sandbox.ts';

interface Step {
  kind: string;
  level: string;
  message: string;
  data: null | {
    operation?: string;
    method?: string;
    path?: string;
    status?: number;
    request_headers?: Record<string, string>;
    request_body?: unknown;
    response_body?: unknown;
  };
}

const CUSTOMERS = [
  { id: 'dbg-c1', first_name: 'Ada', email_address: 'ada@example.com' },
  { id: 'dbg-c2', first_name: 'Brian', email_address: 'brian@example.com' },
  { id: 'dbg-c3', first_name: 'Cleo', email_address: 'cleo@example.com' },
];

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false])
  describe(`manual sync debug logs every Klaviyo exchange (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    let sandbox: Sandbox;
    let svc: TestService;

    before(async () => {
      sandbox = await startSandbox({ rateLimits: false });
      svc = await startTestService({
        postgres,
        env: {
          KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1',
          KLAVIYO_OAUTH_CLIENT_ID: sandbox.oauthClient.clientId,
          KLAVIYO_OAUTH_CLIENT_SECRET: sandbox.oauthClient.clientSecret,
          KLAVIYO_SYNC_LOG_LEVEL: 'warn',
        },
      });
      // Customers before any subscription: only the manual syncs below move them.
      for (const c of CUSTOMERS) assert.equal((await svc.api('POST', '/api/v1/customers', c)).status, 201);
    });
    after(async () => {
      await svc?.close();
      await sandbox?.close();
    });

    async function profileCollection(subscriptionId: string): Promise<string> {
      const list = await svc.api('GET', `/api/v1/subscriptions/${subscriptionId}/collections`);
      const add = list.body.data.find(
        (c: { type: string; direction: string; parent_id: string | null; sync_type: string }) =>
          c.type === 'customer' && c.direction === 'from_hub' && !c.parent_id && c.sync_type !== 'update',
      );
      assert.ok(add, 'the default set has a customer collection to Klaviyo');
      return add.id;
    }

    async function manualSync(subscriptionId: string, ids: string[], debug: boolean) {
      const answer = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/manual-sync`, {
        collection_id: await profileCollection(subscriptionId),
        ids,
        debug,
      });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.equal(answer.body.transfer_ids.length, ids.length);
      assert.equal(answer.body.tracking_ids.length, ids.length);
      return answer.body.transfer_ids as string[];
    }

    /** The transfers by id, once all have finished. */
    async function finished(transferIds: string[]) {
      return waitFor(`transfers ${transferIds.join(',')} to finish`, async () => {
        const page = await svc.api('GET', `/api/v1/transfers?ids=${transferIds.join(',')}`);
        assert.equal(page.status, 200);
        const rows = page.body.data as { id: string; state: string; record_id: string }[];
        return rows.length === transferIds.length && rows.every((t) => isFinishedState(t.state)) && rows;
      });
    }

    async function stepsOf(transferId: string): Promise<Step[]> {
      const detail = await svc.api('GET', `/api/v1/transfers/${transferId}`);
      assert.equal(detail.status, 200);
      return detail.body.steps;
    }

    const exchanges = (steps: Step[]) => steps.filter((s) => s.kind === 'request' && s.data?.operation);

    test('API key: each debug transfer logs its own requests and answers; the key appears nowhere', async () => {
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Key shop',
        api_url: sandbox.url,
        api_key: sandbox.apiKey,
      });
      assert.equal(made.status, 201);
      const subscriptionId = made.body.id as string;
      const [first, second] = CUSTOMERS;
      const transferIds = await manualSync(subscriptionId, [first.id, second.id], true);
      const rows = await finished(transferIds);
      assert.deepEqual(
        rows.map((t) => t.state),
        ['succeeded', 'succeeded'],
      );

      for (const [i, customer] of [first, second].entries()) {
        const steps = await stepsOf(transferIds[i]);
        assert.ok(
          steps.some((s) => s.kind === 'mapped'),
          'the mapped payload is logged',
        );
        const calls = exchanges(steps);
        assert.ok(calls.length >= 1, JSON.stringify(steps));
        // The profile write: method, path, status, both bodies.
        const write = calls.find(
          (s) =>
            s.data?.method !== 'GET' && JSON.stringify(s.data?.request_body).includes(customer.email_address),
        );
        assert.ok(write, `a write carrying ${customer.email_address}: ${JSON.stringify(calls)}`);
        assert.match(write.data!.path!, /^\/api\//);
        assert.ok(write.data!.status! >= 200 && write.data!.status! < 300);
        assert.match(write.message, new RegExp(`^${write.data!.method} /api/\\S+ → ${write.data!.status} `));
        assert.ok(write.data!.response_body !== undefined, 'the answer is logged');
        assert.equal(write.data!.request_headers?.authorization, '[redacted]');
        // Attribution: the other record's requests are not in this transfer's log.
        const other = i === 0 ? second : first;
        assert.ok(!JSON.stringify(steps).includes(other.email_address));
        assert.ok(!JSON.stringify(steps).includes(sandbox.apiKey), 'the API key never reaches a step');
      }

      // An ordinary manual sync logs the mapping and the outcome, not the HTTP traffic.
      const [plain] = await manualSync(subscriptionId, [CUSTOMERS[2].id], false);
      await finished([plain]);
      const plainSteps = await stepsOf(plain);
      assert.ok(plainSteps.some((s) => s.kind === 'mapped'));
      assert.deepEqual(exchanges(plainSteps), []);
    });

    test('OAuth: debug steps show the requests but never the bearer token', async () => {
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'OAuth shop',
        api_url: sandbox.url,
        auth_method: 'oauth',
      });
      assert.equal(made.status, 201);
      const subscriptionId = made.body.id as string;
      const browser = await signIn(svc);
      await authorize(svc, browser, subscriptionId);

      const transferIds = await manualSync(subscriptionId, [CUSTOMERS[2].id], true);
      const [row] = await finished(transferIds);
      assert.equal(row.state, 'succeeded');
      const steps = await stepsOf(transferIds[0]);
      const calls = exchanges(steps);
      assert.ok(calls.length >= 1, JSON.stringify(steps));
      assert.ok(calls.every((s) => s.data?.request_headers?.authorization === '[redacted]'));

      const state = sandbox.state as unknown as {
        accessTokens: Map<string, unknown>;
        refreshTokens: Map<string, unknown>;
      };
      const secrets = [
        ...state.accessTokens.keys(),
        ...state.refreshTokens.keys(),
        sandbox.oauthClient.clientSecret,
        sandbox.apiKey,
      ];
      assert.ok(state.accessTokens.size >= 1, 'a bearer token was issued and used');
      const text = JSON.stringify(steps);
      for (const secret of secrets) assert.ok(!text.includes(secret), 'no secret in any step');
    });
  });
