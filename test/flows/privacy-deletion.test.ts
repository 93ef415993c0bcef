// Klaviyo data-privacy deletion on an explicit call (docs/flows.md), through the real service and the sandbox:
// the route's checks, the privacy-deletion transfer with its steps, the sandbox's deletion job removing
// the profile, and the hub customer's link going while the customer stays.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { postToSandbox } from '../helpers/sandbox-api.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

let sandbox: Sandbox;
let svc: TestService;

interface TransferRow {
  id: string;
  flow: string;
  state: string;
  record_id: string;
  error_code: string | null;
  error_message: string | null;
}

/** One transfer once it has finished, with the sandbox's jobs run. */
async function finished(transferId: string): Promise<TransferRow> {
  return waitFor(`transfer ${transferId}`, async () => {
    const answer = await svc.api('GET', `/api/v1/transfers?ids=${transferId}`);
    const [row] = answer.body.data as TransferRow[];
    if (!row || row.state === 'queued' || row.state === 'running') return undefined;
    await sandbox.state.idle();
    return row;
  });
}

async function makeSubscription(name: string, apiKey: string | undefined) {
  const made = await svc.api('POST', '/api/v1/subscriptions', {
    name,
    api_url: sandbox.url,
    ...(apiKey ? { api_key: apiKey } : {}),
    default_phone_country: 'US',
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body.id as string;
}

const deletions = (subscriptionId: string) => `/api/v1/subscriptions/${subscriptionId}/privacy-deletions`;

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false])
  describe(`privacy deletion requests (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    let subscriptionId: string;
    before(async () => {
      sandbox = await startSandbox();
      svc = await startTestService({ postgres, env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
      subscriptionId = await makeSubscription('Shop', sandbox.apiKey);
    });
    after(async () => {
      await svc?.close();
      await sandbox?.close();
    });

    test('by hub customer id: the linked profile is deleted, the link goes, the customer stays', async () => {
      const account = sandbox.state.account();
      const put = await svc.api('PUT', '/api/v1/customers/pd-1', {
        email_address: 'forget-me@example.com',
        first_name: 'Forget',
      });
      assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
      const links = svc.ctx.transfers!.engine.links;
      const profileId = await waitFor('the customer linked', () =>
        links.klaviyoIdOf(subscriptionId, 'customer', 'pd-1'),
      );
      await waitFor('the sync settled', async () => {
        const list = await svc.api('GET', `/api/v1/transfers?subscription=${subscriptionId}&record=pd-1`);
        return (list.body.data as TransferRow[]).every((t) => t.state !== 'queued' && t.state !== 'running');
      });
      assert.ok(account.profiles.byId.get(profileId), 'the profile exists in the sandbox');

      const asked = await svc.api('POST', deletions(subscriptionId), { customer_id: 'pd-1' });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      assert.deepEqual(asked.body.requested, { profile_id: profileId });
      const transfer = await finished(asked.body.transfer_id);
      assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
      assert.equal(transfer.flow, 'privacy-deletion');
      assert.equal(transfer.record_id, 'pd-1');

      assert.equal(account.profiles.byId.get(profileId), undefined, 'the profile is gone from the sandbox');
      const job = [...account.jobs.values()].find((j) => j.type === 'data-privacy-deletion-job');
      assert.ok(job, 'the sandbox holds the deletion job');
      assert.deepEqual(job.resultIds, [profileId]);
      assert.equal(await links.klaviyoIdOf(subscriptionId, 'customer', 'pd-1'), null, 'the link is removed');
      const customer = await svc.api('GET', '/api/v1/customers/pd-1');
      assert.equal(customer.status, 200, 'the hub customer is not deleted');

      const detail = await svc.api('GET', `/api/v1/transfers/${transfer.id}`);
      const steps = detail.body.steps as { kind: string; message: string }[];
      assert.ok(
        steps.some((s) => s.kind === 'request' && s.message.includes(profileId)),
        JSON.stringify(steps),
      );
      assert.ok(
        steps.some((s) => s.kind === 'response' && /accepted/.test(s.message)),
        JSON.stringify(steps),
      );
      assert.ok(
        steps.some((s) => s.kind === 'note' && /Removed the link of hub customer pd-1/.test(s.message)),
      );
      assert.equal(JSON.stringify(detail.body).includes(sandbox.apiKey), false, 'no secret in the log');

      // Listed in the log under its flow.
      const listed = await svc.api(
        'GET',
        `/api/v1/transfers?subscription=${subscriptionId}&flow=privacy-deletion`,
      );
      assert.ok((listed.body.data as TransferRow[]).some((t) => t.id === transfer.id));
    });

    test('by email: every profile with that email is deleted', async () => {
      const account = sandbox.state.account();
      const made = await postToSandbox(sandbox, '/api/profiles', {
        type: 'profile',
        attributes: { email: 'gone@example.com' },
      });
      const asked = await svc.api('POST', deletions(subscriptionId), { email: 'gone@example.com' });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      assert.deepEqual(asked.body.requested, { email: 'gone@example.com' });
      const transfer = await finished(asked.body.transfer_id);
      assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
      assert.equal(account.profiles.byId.get(made.data.id), undefined);
      assert.equal(account.profiles.find('email', 'gone@example.com'), undefined);
    });

    test('an unlinked customer resolves to its email', async () => {
      // Written while the subscription's customer flow cannot link it: straight into the hub store.
      await svc.ctx.hub!.upsert(
        'customer',
        { id: 'pd-2', email_address: 'by-email@example.com' },
        {
          originSubscriptionId: subscriptionId,
        },
      );
      const asked = await svc.api('POST', deletions(subscriptionId), { customer_id: 'pd-2' });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      assert.deepEqual(asked.body.requested, { email: 'by-email@example.com' });
      assert.equal((await finished(asked.body.transfer_id)).state, 'succeeded');
    });

    test('bad bodies answer 400 with the field; unknown customers and subscriptions 404', async () => {
      const cases: [unknown, string][] = [
        [{}, 'customer_id'],
        [{ email: 'a@example.com', profile_id: 'P1' }, 'email'],
        [{ email: 'not-an-email' }, 'email'],
        [{ phone_number: '0612345678' }, 'phone_number'],
        [{ profile_id: '' }, 'profile_id'],
        [{ external_id: 'x' }, 'external_id'],
      ];
      for (const [body, field] of cases) {
        const answer = await svc.api('POST', deletions(subscriptionId), body);
        assert.equal(answer.status, 400, JSON.stringify({ body, answer: answer.body }));
        assert.equal(answer.body.error.code, 'VALIDATION_FAILED');
        assert.equal(answer.body.error.field, field, JSON.stringify(answer.body));
      }
      const unknown = await svc.api('POST', deletions(subscriptionId), { customer_id: 'nobody' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'RECORD_NOT_FOUND');
      const noSub = await svc.api('POST', deletions('no-such-subscription'), { profile_id: 'P1' });
      assert.equal(noSub.status, 404);

      await svc.ctx.hub!.upsert(
        'customer',
        { id: 'pd-anon', first_name: 'Anon' },
        {
          originSubscriptionId: subscriptionId,
        },
      );
      const anonymous = await svc.api('POST', deletions(subscriptionId), { customer_id: 'pd-anon' });
      assert.equal(anonymous.status, 400);
      assert.equal(anonymous.body.error.field, 'customer_id');
      assert.match(anonymous.body.error.message, /not linked .* no email address/);
    });

    test('a subscription without credentials answers its auth code, and no secret', async () => {
      const keyless = await makeSubscription('No key', undefined);
      const answer = await svc.api('POST', deletions(keyless), { phone_number: '+14155552671' });
      assert.equal(answer.status, 401, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'AUTH_MISSING');
      assert.equal(JSON.stringify(answer.body).includes(sandbox.apiKey), false);
    });

    test('Klaviyo refusals map to error codes (docs/errors.md); a scope refusal pauses and later requests answer its code', async () => {
      const { apiKey } = sandbox.createAccount('Refusing store');
      const refusing = await makeSubscription('Refusing', apiKey);
      const links = svc.ctx.transfers!.engine.links;
      await svc.ctx.hub!.upsert(
        'customer',
        { id: 'pd-3', email_address: 'kept@example.com' },
        {
          originSubscriptionId: refusing,
        },
      );
      await links.set([
        { subscription_id: refusing, table_name: 'customer', hub_id: 'pd-3', klaviyo_id: 'P-KEPT' },
      ]);
      const fault = (status: number) =>
        fetch(`${sandbox.url}/__sandbox/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ operation: 'request_profile_deletion', errorRate: 1, status }),
        });
      const clearFaults = () => fetch(`${sandbox.url}/__sandbox/faults`, { method: 'DELETE' });
      try {
        await fault(400);
        const asked = await svc.api('POST', deletions(refusing), { customer_id: 'pd-3' });
        assert.equal(asked.status, 202, JSON.stringify(asked.body));
        const transfer = await finished(asked.body.transfer_id);
        assert.equal(transfer.state, 'failed');
        assert.equal(transfer.error_code, 'KLAVIYO_INVALID_INPUT', transfer.error_message ?? '');
        assert.equal(await links.klaviyoIdOf(refusing, 'customer', 'pd-3'), 'P-KEPT', 'the link stays');
        const detail = await svc.api('GET', `/api/v1/transfers/${transfer.id}`);
        assert.ok((detail.body.steps as { kind: string }[]).some((s) => s.kind === 'error'));
        assert.equal(JSON.stringify(detail.body).includes(apiKey), false, 'no secret in the log');

        await clearFaults();
        await fault(403);
        const scoped = await svc.api('POST', deletions(refusing), { profile_id: 'P-OTHER' });
        assert.equal(scoped.status, 202);
        await waitFor('the subscription paused', async () => {
          const stats = await svc.api('GET', `/api/v1/transfers/stats?subscription=${refusing}`);
          return stats.body.paused?.code === 'AUTH_FORBIDDEN_SCOPE';
        });
        const later = await svc.api('POST', deletions(refusing), { profile_id: 'P-OTHER' });
        assert.equal(later.status, 403, JSON.stringify(later.body));
        assert.equal(later.body.error.code, 'AUTH_FORBIDDEN_SCOPE');
        assert.equal(JSON.stringify(later.body).includes(apiKey), false);
      } finally {
        await clearFaults();
        await svc.api('POST', '/api/v1/transfers/resume', { subscription_id: refusing });
      }
    });
  });
