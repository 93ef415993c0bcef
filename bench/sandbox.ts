// Sandbox benchmark: requests per second on loopback with rate limits off (the sandbox runs in its own process,
// as `klaviyo-sync sandbox`, so client and server do not share an event loop), and memory held by 1,000,000
// profiles written through the sandbox's own profile rules.
// Run: node bench/sandbox.ts [--seconds 5] [--connections 64] [--profiles 1000000]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Pool } from 'undici';
import { startSandbox } from '../src/sandbox/index.ts';
import { upsertProfile } from '../src/sandbox/profile-model.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const seconds = Number(args.get('seconds') ?? 5);
const connections = Number(args.get('connections') ?? 64);
const profileCount = Number(args.get('profiles') ?? 1_000_000);

async function startChildSandbox(): Promise<{ url: string; stop: () => void }> {
  const bin = fileURLToPath(new URL('../bin/klaviyo-sync.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [bin, 'sandbox', '--port', '0', '--no-rate-limits', '--api-key', 'pk_bench'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function throughput(
  url: string,
  path: string,
  method = 'GET',
  body?: (i: number) => string,
): Promise<number> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  const headers = {
    authorization: 'Klaviyo-API-Key pk_bench',
    revision: '2026-07-15',
    'content-type': 'application/vnd.api+json',
  };
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  let sequence = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const response = await pool.request({
        origin: url,
        path,
        method: method as 'GET',
        headers,
        body: body?.(sequence++),
      });
      await response.body.dump();
      if (response.statusCode >= 400) failed++;
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  if (failed > 0) throw new Error(`${failed} requests failed during the benchmark of ${path}`);
  return done / elapsed;
}

async function memory(): Promise<{
  heapMb: number;
  rssMb: number;
  bytesPerProfile: number;
  seconds: number;
}> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const sandbox = await startSandbox({ rateLimits: false });
  const store = sandbox.state.account().profiles;
  gc();
  const before = process.memoryUsage();
  const started = performance.now();
  for (let i = 0; i < profileCount; i++) {
    const attributes: Record<string, unknown> = {
      email: `customer${i}@example.com`,
      external_id: `C${i}`,
      first_name: 'Ada',
      last_name: `Lovelace${i % 1000}`,
    };
    if (i % 2 === 0) attributes.phone_number = `+1415${String(i).padStart(7, '0')}`;
    upsertProfile(store, { attributes, pointer: '/data/attributes' }, Date.now());
  }
  const elapsed = (performance.now() - started) / 1000;
  gc();
  const after = process.memoryUsage();
  if (store.size !== profileCount) throw new Error(`expected ${profileCount} profiles, have ${store.size}`);
  await sandbox.close();
  const heap = after.heapUsed - before.heapUsed;
  return {
    heapMb: heap / 2 ** 20,
    rssMb: after.rss / 2 ** 20,
    bytesPerProfile: heap / profileCount,
    seconds: elapsed,
  };
}

const child = await startChildSandbox();
try {
  const created = await fetch(`${child.url}/api/profiles`, {
    method: 'POST',
    headers: {
      authorization: 'Klaviyo-API-Key pk_bench',
      revision: '2026-07-15',
      'content-type': 'application/vnd.api+json',
    },
    body: JSON.stringify({ data: { type: 'profile', attributes: { email: 'bench@example.com' } } }),
  });
  const profileId = ((await created.json()) as { data: { id: string } }).data.id;
  const accounts = await throughput(child.url, '/api/accounts');
  const profile = await throughput(child.url, `/api/profiles/${profileId}`);
  const imports = await throughput(child.url, '/api/profile-import', 'POST', (i) =>
    JSON.stringify({
      data: { type: 'profile', attributes: { email: `p${i}@example.com`, first_name: 'Bench' } },
    }),
  );
  console.log(`requests/s, ${connections} connections, ${seconds} s each, rate limits off:`);
  console.log(`  GET  /api/accounts        ${accounts.toFixed(0)}`);
  console.log(`  GET  /api/profiles/{id}   ${profile.toFixed(0)}`);
  console.log(`  POST /api/profile-import  ${imports.toFixed(0)}`);
} finally {
  child.stop();
}
const held = await memory();
console.log(
  `${profileCount.toLocaleString('en')} profiles (email, external_id, names, half with phone): heap +${held.heapMb.toFixed(0)} MB (${held.bytesPerProfile.toFixed(0)} B/profile), rss ${held.rssMb.toFixed(0)} MB, written in ${held.seconds.toFixed(1)} s`,
);
