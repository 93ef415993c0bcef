// The transfer log answers an operator's questions through the REST API: where did this customer go
// (search by hub id, Klaviyo id or email), what is failing and why (groups by error code with the
// explanation from docs/errors.md), send all of those again (one bounded call with counts), give me the
// rows (CSV, quoted, safe to open in a spreadsheet), and names instead of ids.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { parseErrorDoc } from '../../src/transfer/explanations.ts';
import { PROJECT_ROOT } from '../cli/run-cli.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { transferRow } from '../helpers/transfers.ts';
import { waitFor } from '../helpers/wait.ts';

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false])
  describe(`transfer log questions (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    let sandbox: Sandbox;
    let svc: TestService;
    let subscriptionId: string;
    let otherId: string;

    before(async () => {
      sandbox = await startSandbox({ port: 0 });
      svc = await startTestService({ postgres, env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Log store',
        api_url: sandbox.url,
        api_key: sandbox.apiKey,
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      subscriptionId = made.body.id;
      const other = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Other store',
        api_url: sandbox.url,
        api_key: sandbox.apiKey,
      });
      otherId = other.body.id;
      for (const [id, email] of [
        ['LQ-1', 'ann@example.com'],
        ['LQ-2', 'bob@example.com'],
      ]) {
        const put = await svc.api('PUT', `/api/v1/customers/${id}`, { id, email_address: email });
        assert.ok(put.status < 300, JSON.stringify(put.body));
      }
      await waitFor('the customers to reach Klaviyo', async () => {
        const page = await svc.api('GET', `/api/v1/transfers?subscription=${subscriptionId}&state=succeeded`);
        return page.body.data.filter((t: { record_id: string }) => t.record_id.startsWith('LQ-')).length >= 2;
      });
      // Failures of two kinds, with text a spreadsheet would misread, written as the engine writes them.
      const rows = [
        ...Array.from({ length: 3 }, (_, i) =>
          transferRow({
            subscription_id: subscriptionId,
            record_id: `=HYPERLINK("http://x.invalid","click")${i}`,
            state: 'failed',
            tracking_id: `t-invalid-${i}`,
            error_code: 'KLAVIYO_INVALID_INPUT',
            error_message: 'Klaviyo refused the data: "phone_number", line one\nline two',
          }),
        ),
        ...Array.from({ length: 2 }, (_, i) =>
          transferRow({
            subscription_id: subscriptionId,
            record_id: `+dead-${i}`,
            state: 'dead',
            tracking_id: `t-timeout-${i}`,
            error_code: 'KLAVIYO_TIMEOUT',
            error_message: '@mention, -1',
          }),
        ),
        transferRow({
          subscription_id: otherId,
          record_id: 'other-1',
          state: 'failed',
          tracking_id: 't-other',
          error_code: 'KLAVIYO_TIMEOUT',
          error_message: 'elsewhere',
        }),
      ];
      // Paused so the replayed ones stay queued while the test looks at them.
      await svc.api('POST', '/api/v1/transfers/pause', { subscription_id: subscriptionId });
      await svc.ctx.store.db.insertInto('transfers').values(rows).execute();
    });

    after(async () => {
      await svc?.close();
      await sandbox?.close();
    });

    const records = async (query: string) => {
      const page = await svc.api('GET', `/api/v1/transfers?${query}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      return page.body.data as { record_id: string; direction: string; collection_name: string | null }[];
    };

    test("search by hub id, Klaviyo id or email finds the record's transfers, with collection names", async () => {
      const byHubId = await records(`subscription=${subscriptionId}&q=LQ-1`);
      assert.ok(byHubId.length >= 1);
      assert.ok(byHubId.every((t) => t.record_id === 'LQ-1' || !t.record_id.startsWith('LQ-')));
      const profile = sandbox.state.account().profiles.find('email', 'ann@example.com');
      assert.ok(profile, 'the profile exists in the sandbox');
      const byKlaviyoId = await records(`subscription=${subscriptionId}&q=${profile.id}`);
      assert.ok(
        byKlaviyoId.some((t) => t.record_id === 'LQ-1'),
        JSON.stringify(byKlaviyoId),
      );
      assert.ok(!byKlaviyoId.some((t) => t.record_id === 'LQ-2'));
      const byEmail = await records(
        `subscription=${subscriptionId}&q=${encodeURIComponent('Ann@Example.com')}`,
      );
      assert.ok(
        byEmail.some((t) => t.record_id === 'LQ-1'),
        JSON.stringify(byEmail),
      );
      assert.ok(!byEmail.some((t) => t.record_id === 'LQ-2'));
      assert.deepEqual(await records(`q=nobody@example.com`), []);
      // Names, not ids.
      const sent = byHubId.find((t) => t.direction === 'from_hub')!;
      assert.equal(sent.collection_name, 'Add Klaviyo Profile FROM hub');
      const one = await svc.api('GET', `/api/v1/transfers?subscription=${subscriptionId}&q=LQ-1&limit=1`);
      assert.equal(one.body.data[0].subscription_name, 'Log store');
    });

    test('failures are grouped by error code with counts and the explanation from docs/errors.md', async () => {
      const doc = parseErrorDoc(readFileSync(path.join(PROJECT_ROOT, 'docs/errors.md'), 'utf8'));
      const answer = await svc.api('GET', `/api/v1/transfers/failures?subscription=${subscriptionId}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(
        answer.body.data.map((g: { error_code: string; count: number }) => [g.error_code, g.count]),
        [
          ['KLAVIYO_INVALID_INPUT', 3],
          ['KLAVIYO_TIMEOUT', 2],
        ],
      );
      assert.equal(answer.body.total, 5);
      for (const group of answer.body.data) {
        assert.ok(group.explanation.length > 40, group.error_code);
        assert.equal(group.explanation, doc.get(group.error_code));
        assert.doesNotMatch(group.explanation, /`/);
      }
      const dead = await svc.api(
        'GET',
        `/api/v1/transfers/failures?subscription=${subscriptionId}&state=dead`,
      );
      assert.deepEqual(
        dead.body.data.map((g: { count: number }) => g.count),
        [2],
      );
    });

    test('the list counts every match, so "select all that match" can say how many', async () => {
      const page = await svc.api(
        'GET',
        `/api/v1/transfers?subscription=${subscriptionId}&error_code=KLAVIYO_INVALID_INPUT&limit=1&total=1`,
      );
      assert.equal(page.body.total, 3);
      assert.equal(page.body.data.length, 1);
    });

    test('export streams the filtered rows as CSV: quoted where needed, formulas defused', async () => {
      const res = await fetch(
        `${svc.baseUrl}/api/v1/transfers/export.csv?subscription=${subscriptionId}&state=failed`,
        { headers: { authorization: `Bearer ${svc.adminToken}` } },
      );
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
      assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="transfers-.*\.csv"/);
      const text = await res.text();
      const [header] = text.split('\r\n');
      assert.equal(
        header,
        'id,created_at,updated_at,subscription_name,collection_name,flow,direction,record_id,state,attempts,error_code,error_message,tracking_id',
      );
      // Three failed rows; their message holds a quote, a comma and a line break, so it is quoted.
      const rows = parseCsv(text);
      assert.equal(rows.length, 4, text);
      for (const row of rows.slice(1)) {
        assert.equal(row[3], 'Log store');
        assert.match(row[7], /^'=HYPERLINK\("http:\/\/x\.invalid","click"\)\d$/);
        assert.equal(row[11], 'Klaviyo refused the data: "phone_number", line one\nline two');
      }
      const dead = await (
        await fetch(`${svc.baseUrl}/api/v1/transfers/export.csv?subscription=${subscriptionId}&state=dead`, {
          headers: { authorization: `Bearer ${svc.adminToken}` },
        })
      ).text();
      const deadRows = parseCsv(dead).slice(1);
      assert.equal(deadRows.length, 2);
      assert.ok(deadRows.every((r) => r[7].startsWith("'+dead-") && r[11] === "'@mention, -1"));
    });

    test('select all that match and replay them in one bounded call, with counts', async () => {
      const first = await svc.api('POST', '/api/v1/transfers/replay', {
        subscription_id: subscriptionId,
        error_code: 'KLAVIYO_INVALID_INPUT',
        limit: 2,
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, { matched: 3, queued: 2, superseded: 0, remaining: 1 });
      const rest = await svc.api('POST', '/api/v1/transfers/replay', {
        subscription_id: subscriptionId,
        error_code: 'KLAVIYO_INVALID_INPUT',
      });
      assert.deepEqual(rest.body, { matched: 1, queued: 1, superseded: 0, remaining: 0 });
      // The other subscription's failure was not touched.
      const other = await svc.api('GET', `/api/v1/transfers?subscription=${otherId}&state=failed`);
      assert.equal(other.body.data.length, 1);
      const tooMany = await svc.api('POST', '/api/v1/transfers/replay', { limit: 5001 });
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.body.error.code, 'VALIDATION_FAILED');
    });
  });

/** A small RFC 4180 reader, to check what a spreadsheet would read. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}
