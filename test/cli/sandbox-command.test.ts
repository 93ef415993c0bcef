// `klaviyo-sync sandbox` options: a bad value is refused with what to type instead, never quietly changed.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { describeStartFailure, sandboxStartOptions } from '../../src/cli/commands/sandbox.ts';
import { startSandbox } from '../../src/sandbox/index.ts';

test('the time scale must be above 0 instead of quietly becoming 1', () => {
  assert.throws(() => sandboxStartOptions({ timeScale: '0' }), /--time-scale must be a number above 0/);
  assert.throws(() => sandboxStartOptions({ timeScale: 'fast' }), /not 'fast'/);
  assert.equal(sandboxStartOptions({ timeScale: '10' }).timeScale, 10);
  assert.equal(sandboxStartOptions({}).timeScale, 1);
});

test('the port must be a whole number a socket can use', () => {
  for (const bad of ['70000', '3.5', '-1', 'abc']) {
    assert.throws(() => sandboxStartOptions({ port: bad }), /--port must be a whole number from 0 to 65535/);
  }
  assert.equal(sandboxStartOptions({ port: '4010' }).port, 4010);
  assert.equal(sandboxStartOptions({}).port, 0);
});

test('a port in use is explained with what to do', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const error = await startSandbox({ port }).then(
      () => assert.fail('the port is taken'),
      (e: unknown) => e,
    );
    assert.equal(
      describeStartFailure(error, port),
      `port ${port} is in use; pass another --port, or leave --port out for any free port.`,
    );
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});
