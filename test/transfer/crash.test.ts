// Crash safety (docs/transfers.md): the service runs as a child process; it is killed with SIGKILL in the middle of
// a 10,000-transfer run and started again. Every transfer must be delivered, and the engine may hand out
// again only transfers that were running when it died — never one whose success it had recorded.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createService } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openStore } from '../../src/store/db.ts';
import { customers } from './helpers.ts';
import { waitFor } from '../helpers/wait.ts';
import { addSubscription } from './service-helpers.ts';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const TOTAL = 10_000;

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

const children = new Set<ChildProcess>();

function startChild(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', process.env.CRASH_DEBUG ? 'inherit' : 'ignore'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
  });
}

test('a SIGKILL in the middle of 10,000 transfers loses none and delivers none twice', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ks-crash-'));
  const env = {
    KLAVIYO_SYNC_DATA_DIR: dir,
    KLAVIYO_SYNC_PORT: '0',
    KLAVIYO_SYNC_HOST: '127.0.0.1',
    KLAVIYO_SYNC_ADMIN_PASSWORD: `pw-${randomBytes(8).toString('hex')}`,
    KLAVIYO_SYNC_LOG_LEVEL: 'error',
    DELIVERED_FILE: path.join(dir, 'delivered.txt'),
    REDELIVERED_FILE: path.join(dir, 'redelivered.txt'),
  };
  try {
    // Seed: two subscriptions, 5,000 customers → 10,000 transfers, written before any worker runs.
    const seed = await createService(loadConfig(env), { workers: false });
    await addSubscription(seed.ctx, 'A');
    await addSubscription(seed.ctx, 'B');
    for (let i = 0; i < 5; i++) await seed.ctx.hub!.upsertMany('customer', customers(1000, `k${i}-`));
    assert.equal(await seed.ctx.transfers!.engine.log.count({ state: 'queued' }), TOTAL);
    await seed.stop();

    let child = await startChild(env);
    await waitFor('deliveries before the kill', () => lines(env.DELIVERED_FILE).length >= 2500, 30_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const deliveredAtKill = lines(env.DELIVERED_FILE).length;
    const store = openStore({ dataDir: dir });
    const running = await store.db
      .selectFrom('transfers')
      .select(['subscription_id', 'record_id'])
      .where('state', '=', 'running')
      .execute();
    const succeededAtKill = await store.db
      .selectFrom('transfers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'succeeded')
      .executeTakeFirstOrThrow();
    await store.close();
    const inFlight = new Set(running.map((r) => `${r.subscription_id}:${r.record_id}`));
    assert.ok(deliveredAtKill < TOTAL, 'the kill came mid-run');
    assert.ok(Number(succeededAtKill.n) < TOTAL);

    child = await startChild(env);
    await waitFor(
      'every delivery after the restart',
      () => lines(env.DELIVERED_FILE).length >= TOTAL,
      60_000,
    );
    const stopped = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await stopped;

    const delivered = lines(env.DELIVERED_FILE);
    assert.equal(delivered.length, TOTAL);
    assert.equal(new Set(delivered).size, TOTAL, 'no key delivered twice');
    const handedOutAgain = lines(env.REDELIVERED_FILE);
    for (const key of handedOutAgain)
      assert.ok(inFlight.has(key), `${key} had succeeded before the kill yet was handed out again`);
    const after = openStore({ dataDir: dir });
    const states = await after.db
      .selectFrom('transfers')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    await after.close();
    assert.deepEqual(
      states.map((s) => [s.state, Number(s.n)]),
      [['succeeded', TOTAL]],
    );
    process.stdout.write(
      `# crash test: ${deliveredAtKill} delivered at the kill, ${inFlight.size} in flight, ${handedOutAgain.length} handed out again\n`,
    );
  } finally {
    // A failed run must not leave a child behind (it would keep the test process alive).
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
