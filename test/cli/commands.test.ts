// The CLI's service commands run as a user runs them — `node bin/klaviyo-sync.js …` in a child process —
// against a real service (SQLite in a temp folder) connected to the sandbox.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateSampleData, toNdjson } from '../../src/demo/sample-data.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { runCli } from './run-cli.ts';

const data = generateSampleData({ seed: 'cli-commands', customers: 50, orders: 0 });
let sandbox: Sandbox;
let service: TestService;
let folder: string;
let subscriptionId: string;
const SUBSCRIPTION = 'CLI test store';

before(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-cli-'));
  sandbox = await startSandbox({ port: 0 });
  service = await startTestService({ env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
  const made = await service.api('POST', '/api/v1/subscriptions', {
    name: SUBSCRIPTION,
    api_url: sandbox.url,
    api_key: sandbox.apiKey,
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  subscriptionId = made.body.id;
});

after(async () => {
  await service?.close();
  await sandbox?.close();
  rmSync(folder, { recursive: true, force: true });
});

const connection = () => ['--url', service.baseUrl, '--token', service.adminToken];

async function waitForQueue() {
  return waitFor(
    'the queue to drain',
    async () => {
      const stats = await service.api('GET', `/api/v1/transfers/stats?subscription=${subscriptionId}`);
      return stats.body.counts.queued + stats.body.counts.running === 0 && stats.body.counts;
    },
    60_000,
  );
}

test('import streams an NDJSON file, reports accepted records and rejected lines by number, then status shows the outcome', async () => {
  const lines = data.customers.map((c) => JSON.stringify(c));
  lines.splice(10, 0, '{"id":"C-bad-json",');
  lines.splice(20, 0, JSON.stringify({ id: 'C-bad-email', email_address: 'not an email' }));
  const file = path.join(folder, 'customers.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);

  const imported = await runCli(['import', 'customers', file, ...connection()]);
  assert.equal(imported.code, 2, imported.stderr); // some lines were rejected
  const out = imported.stdout.split('\n');
  assert.match(out[0], /^customers: 50 accepted, 2 rejected in \d+(\.\d)?s \([\d,.]+\/s\) \(/);
  assert.ok(out[0].endsWith(`(${file})`), out[0]);
  assert.equal(out[1], '  line 11: not valid JSON');
  assert.match(out[2], /^ {2}line 21: email_address: must be an email address/);
  // Progress goes to stderr as plain lines (no terminal here); the one summary is the line above.
  assert.match(imported.stderr, /^import customers: 52\/52 records \(100%\)/m);
  assert.doesNotMatch(imported.stderr, /records in /);
  assert.doesNotMatch(imported.stderr, /\u001b\[/);
  const stored = await service.api('GET', `/api/v1/customers/${data.customers[0].id}`);
  assert.equal(stored.body.email_address, data.customers[0].email_address);

  const counts = await waitForQueue();
  const broken = data.invalidPhones.filter((p) => !p.has_email);
  assert.equal(broken.length, 1);
  assert.ok(counts.failed >= 1);

  const status = await runCli(['status'], { KLAVIYO_SYNC_DATA_DIR: service.dataDir });
  assert.equal(status.code, 0, status.stderr);
  assert.match(
    status.stdout,
    new RegExp(`^ {2}${SUBSCRIPTION} {2}connected to Sandbox Store {2}\\(id ${subscriptionId}\\)$`, 'm'),
  );
  // 49 customers went to Klaviyo and 1 failed; the profile poll may add read-back transfers meanwhile.
  const queue =
    /^ {2}queued (\d+) {2}running (\d+) {2}succeeded (\d+) {2}skipped (\d+) {2}failed (\d+) {2}dead (\d+)$/m.exec(
      status.stdout,
    );
  assert.ok(queue, status.stdout);
  assert.ok(Number(queue[3]) >= 49, queue[0]);
  assert.ok(Number(queue[5]) >= 1, queue[0]);
  assert.equal(queue[6], '0');
  assert.match(
    status.stdout,
    new RegExp(
      `failed after 1 attempt {2}customer ${broken[0].customer_id} {2}MAPPING_REQUIRED_FIELD_MISSING`,
    ),
  );
});

test('import reads standard input with -, for pipes from other tools', async () => {
  const products = generateSampleData({ seed: 'cli-stdin', customers: 1, orders: 0, products: 5 }).products;
  const result = await runCli(['import', 'products', '-', ...connection()], {}, 60_000, toNdjson(products));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^products: 5 accepted, 0 rejected in .* \(standard input\)\n$/);
  const stored = await service.api('GET', `/api/v1/products/${products[4].id}`);
  assert.equal(stored.body.sku, products[4].sku);
});

test('import refuses an unknown kind and a missing file, with exit code 1 and no stack trace', async () => {
  const kind = await runCli(['import', 'widgets', 'x.ndjson', ...connection()]);
  assert.equal(kind.code, 1);
  assert.equal(
    kind.stderr,
    "klaviyo-sync: Unknown record kind 'widgets': use one of customers, transactions, products.\n",
  );
  const missing = await runCli(['import', 'customers', path.join(folder, 'nope.ndjson'), ...connection()]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^klaviyo-sync: No such file: .*nope\.ndjson\n$/);
  const noToken = await runCli([
    'import',
    'customers',
    path.join(folder, 'customers.ndjson'),
    '--url',
    service.baseUrl,
  ]);
  assert.equal(noToken.code, 1);
  assert.match(noToken.stderr, /pass an API token with --token or KLAVIYO_SYNC_TOKEN/);
});

test('sync sends ids through a collection by name, waits, and with --debug prints every step', async () => {
  const ids = data.customers.slice(0, 3).map((c) => c.id);
  const result = await runCli([
    'sync',
    '--subscription',
    SUBSCRIPTION,
    '--collection',
    'Add Klaviyo Profile FROM hub',
    '--ids',
    ids.join(','),
    '--debug',
    ...connection(),
  ]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const out = result.stdout;
  assert.match(out, /^Queued 3 records through 'Add Klaviyo Profile FROM hub' of 'CLI test store' \(debug/m);
  for (const id of ids) assert.match(out, new RegExp(`^ {2}${id} {2}succeeded {2}\\(transfer \\d+\\)$`, 'm'));
  assert.match(out, /^succeeded 3$/m);
  // Debug steps: what was mapped and what Klaviyo answered, with the API key nowhere.
  assert.match(out, / {6}\S+ {2}mapped/);
  assert.match(out, / {6}\S+ {2}request {2}(GET|POST|PATCH) \/api\/\S+ → 2\d\d /);
  assert.ok(!out.includes(sandbox.apiKey));
});

test('sync names the known subscriptions when the one asked for does not exist', async () => {
  const result = await runCli([
    'sync',
    '--subscription',
    'Nope',
    '--collection',
    'x',
    '--ids',
    'a',
    ...connection(),
  ]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `klaviyo-sync: No subscription 'Nope'. Known: '${SUBSCRIPTION}' (${subscriptionId}).\n`,
  );
});

test('import --json prints the service answer as docs/api.md shows it: rejected is a count, errors the lines', async () => {
  const input = `${JSON.stringify({ id: 'C-json-1', email_address: 'json1@example.com' })}\n{"id":\n`;
  const result = await runCli(['import', 'customers', '-', '--json', ...connection()], {}, 60_000, input);
  assert.equal(result.code, 2, result.stderr);
  const answer = JSON.parse(result.stdout);
  assert.equal(answer.accepted, 1);
  assert.equal(answer.rejected, 1);
  assert.deepEqual(
    answer.errors.map((e: { line: number }) => e.line),
    [2],
  );
  assert.equal('rejectedCount' in answer, false);
});

test('a refused token is reported with its code and what to do, never the token', async () => {
  const result = await runCli(
    ['import', 'customers', '-', '--url', service.baseUrl, '--token', 'kst_not_a_real_token'],
    {},
    60_000,
    '{"id":"C-never"}\n',
  );
  assert.equal(result.code, 1);
  assert.match(result.stderr, /klaviyo-sync: UNAUTHENTICATED: .* the API token .* was refused/);
  assert.doesNotMatch(result.stderr, /kst_not_a_real_token/);
});

test('sync names an unknown collection plainly and says why a record was skipped', async () => {
  const unknown = await runCli([
    'sync',
    '--subscription',
    SUBSCRIPTION,
    '--collection',
    'Nope',
    '--ids',
    'a',
    ...connection(),
  ]);
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.stderr,
    new RegExp(`^klaviyo-sync: No collection 'Nope' in '${SUBSCRIPTION}'\\. Known: `),
  );
  const skipped = await runCli([
    'sync',
    '--subscription',
    SUBSCRIPTION,
    '--collection',
    'Add Klaviyo Profile FROM hub',
    '--ids',
    'C-not-in-the-hub',
    ...connection(),
  ]);
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stdout, /^ {2}C-not-in-the-hub {2}skipped {2}\S.* {2}\(transfer \d+\)$/m);
});

test('sync with an ids file that does not exist says so, without a stack trace', async () => {
  const result = await runCli([
    'sync',
    '--subscription',
    SUBSCRIPTION,
    '--collection',
    'Add Klaviyo Profile FROM hub',
    '--ids-file',
    path.join(folder, 'no-such-ids.txt'),
    ...connection(),
  ]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^klaviyo-sync: Cannot read the ids file .*no-such-ids\.txt: no such file\.\n$/,
  );
});
