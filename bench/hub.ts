// Hub write throughput and import memory, with the service in a child process on embedded SQLite and
// two subscriptions whose customer flows are on (so every upsert also queues two transfers, in the same
// transaction; the workers are off, so only the writes are measured). Reports:
//   1. NDJSON imports of 20,000, then 100,000 customers twice: rate, the bad lines reported, the server's
//      resident memory before and at its peak, and its heap after a GC (flat memory: the heap stays the
//      same whatever the size, and the RSS peak levels off instead of growing with each import);
//   2. customer upserts per second through POST /api/v1/customers/batch (1,000 a request).
// Run: node bench/hub.ts [batch requests (default 50)] [import lines (default 100000)]
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addSubscriptionRows } from '../test/helpers/subscriptions.ts';

type ChildMessage =
  | { ready: { baseUrl: string; password: string } }
  | { rss: { now: number; peak: number; heap: number } };

async function serve(): Promise<void> {
  const { createService } = await import('../src/app.ts');
  const { loadConfig } = await import('../src/config.ts');
  const service = await createService(loadConfig(process.env), { onSetupLink: () => {}, workers: false });
  for (const id of ['bench-a', 'bench-b']) {
    await addSubscriptionRows(service.ctx.store.db, {
      id,
      name: id,
      webhook_key_enc: service.ctx.secrets.encrypt(randomBytes(32).toString('hex')),
    });
  }
  const baseUrl = await service.start();
  let peak = process.memoryUsage.rss();
  setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10).unref();
  process.on('message', (m: string) => {
    if (m === 'rss') {
      const g = (globalThis as { gc?: () => void }).gc;
      if (g) g();
      process.send!({ rss: { now: process.memoryUsage.rss(), peak, heap: process.memoryUsage().heapUsed } });
      peak = process.memoryUsage.rss();
    }
    if (m === 'stop') void service.stop().then(() => process.exit(0));
  });
  process.send!({ ready: { baseUrl, password: process.env.KLAVIYO_SYNC_ADMIN_PASSWORD } });
}

function customer(i: number): string {
  return JSON.stringify({
    id: `bench-${i}`,
    customer_number: `N${i}`,
    first_name: 'Bench',
    last_name: `Customer ${i}`,
    email_address: `bench.${i}@example.com`,
    addresses: [{ city: 'Springfield', country: 'US', postal_code: '12345', is_primary_billing: true }],
  });
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 50);
  const importLines = Number(process.argv[3] ?? 100_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'ks-bench-hub-'));
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: [...process.execArgv, '--expose-gc'],
    env: {
      ...process.env,
      KLAVIYO_SYNC_DATA_DIR: dir,
      KLAVIYO_SYNC_PORT: '0',
      KLAVIYO_SYNC_LOG_LEVEL: 'error',
      KLAVIYO_SYNC_ADMIN_PASSWORD: `pw-${randomBytes(8).toString('hex')}`,
    },
  });
  const next = () =>
    new Promise<ChildMessage>((resolve) => child.once('message', (m) => resolve(m as ChildMessage)));
  try {
    const ready = await next();
    if (!('ready' in ready)) throw new Error('unexpected message');
    const { baseUrl, password } = ready.ready;
    const login = await fetch(`${baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const { csrf_token } = (await login.json()) as { csrf_token: string };
    const made = await fetch(`${baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf_token },
      body: JSON.stringify({ name: 'bench' }),
    });
    const { token } = (await made.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };

    // 1. NDJSON imports on a fresh server, a small one then a large one: flat memory means the large
    // one peaks no higher than the small one. One bad line in every 10,000.
    const importOnce = async (lines: number, offset: number) => {
      child.send('rss');
      const base = await next();
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= lines) return controller.close();
          const chunk: string[] = [];
          for (let i = 0; i < 500 && sent < lines; i++, sent++) {
            chunk.push(sent % 10_000 === 9_999 ? '{"id": broken' : customer(offset + sent));
          }
          controller.enqueue(new TextEncoder().encode(`${chunk.join('\n')}\n`));
        },
      });
      const importStart = performance.now();
      const res = await fetch(`${baseUrl}/api/v1/customers/import`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-ndjson' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      const report = (await res.json()) as { accepted: number; rejected: number; errors: { line: number }[] };
      const importSeconds = (performance.now() - importStart) / 1000;
      child.send('rss');
      const during = await next();
      if (!('rss' in base) || !('rss' in during)) throw new Error('unexpected message');
      console.log(
        `ndjson import: ${lines} lines in ${importSeconds.toFixed(2)} s (${Math.round(lines / importSeconds)} lines/s)`,
      );
      console.log(
        `  accepted ${report.accepted}, rejected ${report.rejected} (lines ${report.errors.map((e) => e.line).join(', ')})`,
      );
      console.log(
        `  server RSS before ${mb(base.rss.now)}, peak during the import ${mb(during.rss.peak)} (body ≈ ${mb(lines * 190)}); heap after ${mb(during.rss.heap)}`,
      );
    };
    await importOnce(Math.round(importLines / 5), 1_000_000);
    await importOnce(importLines, 2_000_000);
    await importOnce(importLines, 3_000_000);

    // 2. Batch upserts. Bodies are built first so the client's work is not measured.
    const bodies = Array.from({ length: requests }, (_, r) => {
      const items: string[] = [];
      for (let i = 0; i < 1000; i++) items.push(customer(r * 1000 + i));
      return `[${items.join(',')}]`;
    });
    const started = performance.now();
    for (const body of bodies) {
      const res = await fetch(`${baseUrl}/api/v1/customers/batch`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      });
      if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
    const seconds = (performance.now() - started) / 1000;
    const upserts = requests * 1000;
    console.log(`hub batch upserts: ${upserts} customers in ${seconds.toFixed(2)} s`);
    console.log(
      `  ${Math.round(upserts / seconds)} upserts/s (each queuing 2 transfers: ${upserts * 2} transfers)`,
    );

    child.send('stop');
  } finally {
    await new Promise((r) => {
      if (child.exitCode !== null) r(null);
      else child.once('exit', r);
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
