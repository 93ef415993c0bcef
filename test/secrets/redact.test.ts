// One redaction rule set for the service log and the transfer log (docs/security.md, "Logs"): whatever the
// transfer log masks, a log line masks too, at any depth, and the other way round.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { redact } from '../../src/transfer/redact.ts';

const SECRET_SHAPED = {
  api_key: 'pk_abcdef123456',
  nested: { deeper: { clientSecret: 'cs-1', 'x-api-key': 'k-2', webhook_key: 'whk_3' } },
  list: [{ refresh_token: 'rt-4' }],
  note: 'sent with Bearer abcdefghijklmnop and pk_zyxwvu987654',
  count: 3,
  subscriptionId: 'sub-1',
};

function logLine(fields: Record<string, unknown>): string {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const log = createLogger(loadConfig({ KLAVIYO_SYNC_LOG_LEVEL: 'info' }), stream);
  log.info(fields, 'a line');
  log.flush();
  return text;
}

test('a log line and a transfer log step mask the same fields and values, at any depth', async () => {
  const stored = JSON.stringify(redact(SECRET_SHAPED));
  const logged = logLine(SECRET_SHAPED);
  await new Promise((resolve) => setImmediate(resolve));
  for (const secret of [
    'pk_abcdef123456',
    'cs-1',
    'k-2',
    'whk_3',
    'rt-4',
    'abcdefghijklmnop',
    'pk_zyxwvu987654',
  ]) {
    assert.ok(!stored.includes(secret), `transfer log keeps ${secret}: ${stored}`);
    assert.ok(!logged.includes(secret), `service log keeps ${secret}: ${logged}`);
  }
  const line = JSON.parse(logged);
  const step = JSON.parse(stored);
  for (const value of [line, step]) {
    assert.equal(value.count, 3);
    assert.equal(value.subscriptionId, 'sub-1');
    assert.equal(value.nested.deeper.clientSecret, '[redacted]');
  }
});
