import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeProfileSingly } from '../../src/flows/customer-to-profile/profile-writer.ts';
import { createKlaviyoClient } from '../../src/klaviyo/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';

async function withSandbox(run: (env: Awaited<ReturnType<typeof setup>>) => Promise<void>) {
  const env = await setup();
  try {
    await run(env);
  } finally {
    await env.sandbox.close();
  }
}

async function setup() {
  const sandbox = await startSandbox({ rateLimits: false });
  const client = createKlaviyoClient({
    baseUrl: sandbox.url,
    auth: { kind: 'api_key', apiKey: sandbox.apiKey },
    budgetKey: `writer-${Math.random()}`,
    retry: { maxAttempts: 1 },
  });
  return { sandbox, client, account: sandbox.state.account() };
}

test('a create that meets 409 duplicate_profile links to the existing profile and updates it', () =>
  withSandbox(async ({ client, account }) => {
    const existing = await client.profiles.create({ email: 'dup@example.com', first_name: 'Old' });
    const result = await writeProfileSingly(client, {
      key: 'k',
      attributes: { email: 'dup@example.com', first_name: 'Add payload' },
      attributesForUpdate: async () => ({ email: 'dup@example.com', first_name: 'Update payload' }),
    });
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.profileId, existing.id);
    assert.equal(result.created, false);
    assert.match(result.warnings[0], new RegExp(existing.id));
    assert.equal(account.profiles.byId.get(existing.id)?.first_name, 'Update payload');
    assert.equal(account.profiles.size, 1);
  }));

test('an update refused because the phone is on another profile goes again without the phone, naming both', () =>
  withSandbox(async ({ client, account }) => {
    const mine = await client.profiles.create({ email: 'mine@example.com' });
    const theirs = await client.profiles.create({ phone_number: '+14155550100', external_id: 't' });
    const result = await writeProfileSingly(client, {
      key: 'k',
      profileId: mine.id,
      attributes: { email: 'mine@example.com', phone_number: '+14155550100', first_name: 'Me' },
    });
    assert.equal(result.ok, true);
    assert.match(result.warnings[0], /Duplicate prevention/);
    assert.ok(result.warnings[0].includes(mine.id) && result.warnings[0].includes(theirs.id));
    assert.equal(account.profiles.byId.get(mine.id)?.first_name, 'Me');
    assert.equal(account.profiles.byId.get(mine.id)?.phone_number, undefined);
  }));

test('a linked profile deleted in Klaviyo is found again by its identifiers', () =>
  withSandbox(async ({ client }) => {
    const result = await writeProfileSingly(client, {
      key: 'k',
      profileId: '01GONE00000000000000000000',
      attributes: { email: 'back@example.com' },
    });
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.created, true);
    assert.notEqual(result.profileId, '01GONE00000000000000000000');
    assert.match(result.warnings[0], /no longer exists/);
  }));

test('a refusal that is not a conflict is returned as the record error', () =>
  withSandbox(async ({ client }) => {
    const result = await writeProfileSingly(client, { key: 'k', attributes: { email: 'not-an-email' } });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal((result.error as { code: string }).code, 'KLAVIYO_EMAIL_INVALID');
  }));
