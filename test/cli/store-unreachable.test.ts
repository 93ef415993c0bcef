// status and migrate against a PostgreSQL that does not answer: one line naming the store and what to
// check, never "start the service once" (wrong advice) nor a driver stack trace, and never the password.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { before, test } from 'node:test';
import { runCli } from './run-cli.ts';

let databaseUrl = '';

before(async () => {
  // A port nothing listens on: taken, then released.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  databaseUrl = `postgres://ops:hunter2-secret@127.0.0.1:${port}/shop`;
});

test('status with an unreachable database says it cannot open it and what to check', async () => {
  const result = await runCli(['status'], { DATABASE_URL: databaseUrl });
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /Cannot open PostgreSQL 127\.0\.0\.1:\d+\/shop \(.*ECONNREFUSED.*\): check DATABASE_URL/,
  );
  assert.doesNotMatch(result.stderr, /start the service once/);
  assert.doesNotMatch(result.stderr + result.stdout, /hunter2-secret/);
});

test('migrate with an unreachable database prints one line and exits 1', async () => {
  const result = await runCli(['migrate'], { DATABASE_URL: databaseUrl });
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^klaviyo-sync migrate: Cannot open PostgreSQL 127\.0\.0\.1:\d+\/shop \(.*ECONNREFUSED.*\): check DATABASE_URL.*\n$/,
  );
  assert.doesNotMatch(result.stderr, /at .*\.(ts|js):\d+/);
  assert.doesNotMatch(result.stderr, /hunter2-secret/);
});
