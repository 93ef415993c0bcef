// `klaviyo-sync demo` refuses bad ports in its own terms (the flag the user typed), in one line.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { runCli } from './run-cli.ts';

test('a port out of range names the --port flag, not an environment variable', async () => {
  const result = await runCli(['demo', '--port', '99999']);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    "klaviyo-sync demo: --port must be a port from 0 to 65535, 0 for any free one (got '99999')\n",
  );
});

test('a sandbox port in use names that port and --sandbox-port', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const result = await runCli(['demo', '--port', '0', '--sandbox-port', String(port)], {}, 60_000);
    assert.equal(result.code, 1, result.stdout);
    assert.equal(
      result.stderr,
      `klaviyo-sync demo: port ${port} is in use; pass --sandbox-port <free port> (or --sandbox-port 0 for any free one).\n`,
    );
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});
