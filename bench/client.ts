// Client overhead: calls per second through the full client (body building, headers, retry loop, JSON
// parsing) against a no-op server in another process, budgets off. Run: node bench/client.ts [calls]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createKlaviyoClient } from '../src/klaviyo/index.ts';

const NOOP_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(202, { 'content-length': '0' }); res.end(); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 40_000);
  const parallel = 64;
  const child = spawn(process.execPath, ['-e', NOOP_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(chunk.toString().trim());
  try {
    const client = createKlaviyoClient({
      baseUrl: `http://127.0.0.1:${port}`,
      auth: { kind: 'api_key', apiKey: 'pk_bench' },
      budgetKey: 'bench',
      budgets: false,
      concurrency: parallel,
    });
    const event = (i: number) => ({
      metric: 'Placed Order',
      properties: { OrderId: `O-${i}`, Items: [{ SKU: 'S1', Quantity: 1, ItemPrice: 9.99 }] },
      value: 9.99,
      valueCurrency: 'USD',
      uniqueId: `O-${i}`,
      profile: { attributes: { email: `p${i % 1000}@example.com` } },
    });
    const run = async (count: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < count) await client.events.create(event(next++));
        }),
      );
    };
    await run(2000); // warm up sockets and the JIT
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    await run(total);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const stats = await client.stats();
    console.log(`klaviyo client: ${total} create_event calls in ${seconds.toFixed(2)} s`);
    console.log(`  ${Math.round(total / seconds)} calls/s wall clock (no-op server in another process)`);
    console.log(
      `  ${Math.round(total / cpuSeconds)} calls/s per client CPU second (${cpuSeconds.toFixed(2)} s CPU)`,
    );
    console.log(`  failures: ${stats.failures}, retries: ${stats.retries}`);
  } finally {
    child.kill();
  }
}

await main();
