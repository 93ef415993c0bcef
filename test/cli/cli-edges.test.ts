// Rough edges of the CLI a new user met (issue 14), each run as a user runs it: the real command in a
// child process against a real service (SQLite in a temp folder).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { resolveConnection } from '../../src/cli/api-client.ts';
import { formatStatus, type StatusReport } from '../../src/cli/commands/status.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { runCli } from './run-cli.ts';

let service: TestService;
let folder: string;
let file: string;

before(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-cli-edges-'));
  service = await startTestService();
  file = path.join(folder, 'customers.ndjson');
  const lines = Array.from({ length: 599 }, (_, i) =>
    JSON.stringify({ id: `E${i}`, email_address: `e${i}@example.com` }),
  );
  lines.push('{"id":"broken",');
  writeFileSync(file, `${lines.join('\n')}\n`);
});

after(async () => {
  await service?.close();
  rmSync(folder, { recursive: true, force: true });
});

test('--url without a scheme is taken as http://', async () => {
  assert.equal(resolveConnection({ url: '127.0.0.1:3000' }, {}).baseUrl, 'http://127.0.0.1:3000');
  assert.equal(resolveConnection({ url: 'localhost:3000/' }, {}).baseUrl, 'http://localhost:3000');
  assert.equal(
    resolveConnection({}, { KLAVIYO_SYNC_URL: 'https://sync.example.com' }).baseUrl,
    'https://sync.example.com',
  );
  const bare = new URL(service.baseUrl).host; // 127.0.0.1:<port>
  const run = await runCli(['import', 'customers', file, '--url', bare, '--token', service.adminToken]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stdout, /^customers: 599 accepted, 1 rejected/);
});

test('a wrong token is refused before any record is sent: no "records … stopped" before the 401', async () => {
  const run = await runCli(['import', 'customers', file, '--url', service.baseUrl, '--token', 'kst_wrong']);
  assert.equal(run.code, 1);
  assert.doesNotMatch(run.stderr, /records|stopped/);
  assert.match(run.stderr, /^klaviyo-sync: UNAUTHENTICATED: .*API token .* was refused/m);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.equal(run.stdout, '');
});

test('an import ends with one summary, not two differently formatted ones', async () => {
  const run = await runCli([
    'import',
    'customers',
    file,
    '--url',
    service.baseUrl,
    '--token',
    service.adminToken,
  ]);
  assert.equal(run.code, 2, run.stderr);
  const summaries = `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((l) => /\baccepted\b|\brecords in\b|\brejected\b/.test(l) && !/^\s+line \d+/.test(l));
  assert.equal(summaries.length, 1, summaries.join('\n'));
  assert.match(
    summaries[0],
    /^customers: 599 accepted, 1 rejected in \d+(\.\d)?s \([\d,.]+\/s\) \(.*customers\.ndjson\)$/,
  );
});

test('status writes every count in one format (thousands separated)', () => {
  const queue = { queued: 12345, running: 2, succeeded: 1234567, skipped: 0, failed: 1000, dead: 7 };
  const report: StatusReport = {
    store: 'SQLite /tmp/x.db',
    subscriptions: [
      {
        id: 's1',
        name: 'Main',
        status: 'connected',
        status_message: null,
        account_name: 'Shop',
        paused: null,
        queue,
      },
    ],
    queue,
    failures: [],
  };
  const text = formatStatus(report).join('\n');
  assert.doesNotMatch(text, /\b\d{4,}\b/, text);
  assert.equal(text.match(/queued 12,345/g)?.length, 2, text);
  assert.equal(text.match(/succeeded 1,234,567/g)?.length, 2, text);
});
