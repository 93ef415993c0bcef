import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { importNdjson } from '../../src/hub/import.ts';
import { HubStore } from '../../src/hub/store.ts';
import { openStore } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { startTestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

async function tempHub() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ks-import-'));
  const store = openStore({ dataDir: dir, sqliteFile: 'hub.db' });
  await migrate(store);
  return {
    hub: new HubStore(store),
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const line = (i: number) =>
  JSON.stringify({ id: `i${i}`, email_address: `i${i}@example.com`, last_name: `N${i}` });

test('bad lines are reported by their line number; characters split across chunks stay whole', async () => {
  const { hub, close } = await tempHub();
  try {
    const text = `${line(1)}\n\n{"id":"e-ok","first_name":"Zoë Émile"}\n{"id": 1}\n${'x'.repeat(300)}\n${line(2)}`;
    const bytes = Buffer.from(text);
    // Three-byte pieces split "é" and "ë" between chunks.
    async function* pieces() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const report = await importNdjson(hub, 'customer', pieces(), { maxLineBytes: 200 });
    assert.equal(report.accepted, 3);
    assert.deepEqual(
      report.errors.map((e) => [e.line, e.field ?? null]),
      [
        [4, 'id'],
        [5, null],
      ],
    );
    assert.match(report.errors[1].message, /longer than 200 bytes/);
    assert.equal((await hub.get('customer', 'e-ok'))?.first_name, 'Zoë Émile');
    assert.ok(await hub.get('customer', 'i2'), 'a last line without a newline is read');
  } finally {
    await close();
  }
});

test('records are written while the body is still arriving (the import never holds the whole file)', async () => {
  const svc = await startTestService({ env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' } });
  try {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 2000) {
          // Only once the server has stored the first 1,000 does the rest follow; a server that waited
          // for the whole body would never get it.
          await waitFor('the first chunk', async () => (await svc.ctx.hub!.get('customer', 'i999')) !== null);
        }
        if (sent >= 4000) return controller.close();
        const chunk: string[] = [];
        for (let i = 0; i < 500; i++) chunk.push(line(sent++));
        controller.enqueue(new TextEncoder().encode(`${chunk.join('\n')}\n`));
      },
    });
    const res = await fetch(`${svc.baseUrl}/api/v1/customers/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'application/x-ndjson' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const report = await res.json();
    assert.equal(report.accepted, 4000);
    assert.equal(report.rejected, 0);
  } finally {
    await svc.close();
  }
});

test('importing 100,000 customers keeps the heap flat', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const { hub, close } = await tempHub();
  try {
    const heapAt: Record<number, number> = {};
    let peakRss = 0;
    async function* lines() {
      for (let i = 0; i < 100_000; i += 1000) {
        if (i === 10_000 || i === 99_000) {
          gc();
          heapAt[i] = process.memoryUsage().heapUsed;
        }
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        const chunk: string[] = [];
        for (let j = i; j < i + 1000; j++) chunk.push(j % 25_000 === 7 ? 'oops' : line(j));
        yield `${chunk.join('\n')}\n`;
      }
    }
    const report = await importNdjson(hub, 'customer', lines());
    assert.equal(report.accepted, 99_996);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [8, 25_008, 50_008, 75_008],
    );
    const growth = heapAt[99_000] - heapAt[10_000];
    process.stdout.write(
      `# 100,000-line import: heap ${(heapAt[10_000] / 1e6).toFixed(1)} MB at 10k lines, ${(heapAt[99_000] / 1e6).toFixed(1)} MB at 99k; peak RSS ${(peakRss / 1e6).toFixed(0)} MB\n`,
    );
    assert.ok(growth < 16 * 1024 * 1024, `heap grew by ${growth} bytes`);
  } finally {
    await close();
  }
});
