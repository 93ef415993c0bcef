// Rough edges of the CLI a new user met (issue 14), each run as a user runs it: the real command in a
// child process against a real service (SQLite in a temp folder).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { resolveConnection } from '../../src/cli/api-client.ts';
import { formatStatus, type StatusReport } from '../../src/cli/commands/status.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { runCli } from './run-cli.ts';

let service: TestService;
let sandbox: Sandbox;
let folder: string;
let file: string;

before(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-cli-edges-'));
  sandbox = await startSandbox({ port: 0 });
  service = await startTestService({ env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
  file = path.join(folder, 'customers.ndjson');
  const lines = Array.from({ length: 599 }, (_, i) =>
    JSON.stringify({ id: `E${i}`, email_address: `e${i}@example.com` }),
  );
  lines.push('{"id":"broken",');
  writeFileSync(file, `${lines.join('\n')}\n`);
});

after(async () => {
  await service?.close();
  await sandbox?.close();
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

test('a failed transfer of a manual sync is printed with its permanent console address', async () => {
  const sub = await service.api('POST', '/api/v1/subscriptions', {
    name: 'Links store',
    api_url: sandbox.url,
    api_key: sandbox.apiKey,
  });
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  // A customer with no email, phone or external id fails its mapping (MAPPING_REQUIRED_FIELD_MISSING).
  await service.api('PUT', '/api/v1/customers/NO-ID', { id: 'NO-ID', first_name: 'Nobody' });
  const run = await runCli(
    [
      'sync',
      '--subscription',
      'Links store',
      '--collection',
      'Add Klaviyo Profile FROM hub',
      '--ids',
      'NO-ID',
      '--timeout',
      '50',
      '--url',
      service.baseUrl,
      '--token',
      service.adminToken,
    ],
    {},
    60_000,
  );
  const link = new RegExp(`^ {4}${service.baseUrl.replace(/[.]/g, '\\.')}/transfers/(\\d+)$`, 'm').exec(
    run.stdout,
  );
  assert.ok(link, run.stdout + run.stderr);
  const page = await fetch(link[0].trim(), { headers: { accept: 'text/html' } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<div id="root">/);
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
