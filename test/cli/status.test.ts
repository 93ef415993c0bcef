import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startTestService } from '../helpers/service.ts';
import { addSubscriptionRows } from '../helpers/subscriptions.ts';
import { transferRow } from '../helpers/transfers.ts';
import { firstStartHints } from '../../src/cli/commands/status.ts';
import { runCli } from './run-cli.ts';

test('status with no data folder says where it looked and what to do', async () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-status-'));
  try {
    const result = await runCli(['status'], { KLAVIYO_SYNC_DATA_DIR: empty });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /No klaviyo-sync data at .*klaviyo-sync-status-.*KLAVIYO_SYNC_DATA_DIR/);
    assert.equal(result.stdout, '');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('status reads a running service’s store: subscriptions, queue depth per state, recent failures', async () => {
  const service = await startTestService();
  try {
    const db = service.ctx.store.db;
    const now = new Date().toISOString();
    await addSubscriptionRows(
      db,
      { id: 'sub_a', name: 'Main store', status: 'connected', account_name: 'Acme' },
      {
        id: 'sub_b',
        name: 'Outlet',
        status: 'authorization_revoked',
        status_message: 'Klaviyo access was removed',
      },
    );
    const transfer = (
      n: number,
      subscriptionId: string,
      state: string,
      extra: Partial<Parameters<typeof transferRow>[0]> = {},
    ) =>
      transferRow({
        subscription_id: subscriptionId,
        trigger: 'customer/created',
        record_id: `C${n}`,
        state,
        tracking_id: `trk-${n}`,
        created_at: now,
        updated_at: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`,
        ...extra,
      });
    await db
      .insertInto('transfers')
      .values([
        transfer(1, 'sub_a', 'succeeded'),
        transfer(2, 'sub_a', 'succeeded'),
        transfer(3, 'sub_a', 'queued'),
        transfer(4, 'sub_a', 'failed', {
          error_code: 'MAPPING_REQUIRED_FIELD_MISSING',
          error_message: 'The profile has no email, phone number or external id.',
        }),
        transfer(5, 'sub_b', 'queued'),
        transfer(6, 'sub_b', 'dead', {
          error_code: 'KLAVIYO_EMAIL_INVALID',
          error_message: 'Bad email.',
          attempts: 10,
        }),
      ])
      .execute();
    await db
      .insertInto('transfer_pauses')
      .values({
        subscription_id: 'sub_b',
        code: 'AUTH_REVOKED',
        message: 'click Authenticate to reconnect',
        paused_at: now,
      })
      .execute();

    // The service keeps running while the CLI reads its SQLite store beside it.
    const result = await runCli(['status'], { KLAVIYO_SYNC_DATA_DIR: service.dataDir });
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.match(out, /^Store: SQLite .*klaviyo-sync\.db$/m);
    assert.match(out, /^ {2}Main store {2}connected to Acme {2}\(id sub_a\)$/m);
    assert.match(
      out,
      /^ {2}Outlet {6}authorization_revoked — paused: click Authenticate to reconnect {2}\(id sub_b\)$/m,
    );
    assert.match(out, /queued 1, running 0, succeeded 2, skipped 0, failed 1, dead 0/);
    assert.match(out, /^ {2}queued 2 {2}running 0 {2}succeeded 2 {2}skipped 0 {2}failed 1 {2}dead 1$/m);
    // Newest failure first, with its code and message.
    const failures = out.slice(out.indexOf('Recent failures'));
    assert.match(
      failures,
      /dead after 10 attempts {2}customer C6 {2}KLAVIYO_EMAIL_INVALID[\s\S]*Bad email\./,
    );
    assert.ok(failures.indexOf('C6') < failures.indexOf('C4'));
    assert.match(failures, /failed after 1 attempt {2}customer C4 {2}MAPPING_REQUIRED_FIELD_MISSING/);

    const json = await runCli(['status', '--json', '--failures', '1'], {
      KLAVIYO_SYNC_DATA_DIR: service.dataDir,
    });
    const report = JSON.parse(json.stdout);
    assert.deepEqual(report.queue, { queued: 2, running: 0, succeeded: 2, skipped: 0, failed: 1, dead: 1 });
    assert.equal(report.failures.length, 1);
    assert.equal(report.subscriptions[1].paused, 'click Authenticate to reconnect');
  } finally {
    await service.close();
  }
});

test('the first-start hints say how to add a subscription and how to try the demo, until one exists', async () => {
  const service = await startTestService();
  try {
    const hints = await firstStartHints(service.ctx.store, 'http://localhost:3000');
    assert.equal(hints[0], 'No Klaviyo subscription yet.');
    assert.match(hints.join('\n'), /open http:\/\/localhost:3000, sign in, and add a subscription/);
    assert.match(hints.join('\n'), /npm run demo/);
    const made = await service.api('POST', '/api/v1/subscriptions', {
      name: 'Main',
      api_key: 'pk_not_checked_here',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(await firstStartHints(service.ctx.store, 'http://localhost:3000'), []);
  } finally {
    await service.close();
  }
});
