// What a crash costs: a batch of N customers is claimed by a worker that dies (the store is left with
// them `running`), the process starts again (every running transfer goes back to the queue), and the
// lane is drained through the real Customer → Profile flow against the sandbox. Prints the batches, the
// Klaviyo calls (bulk import jobs, single writes) and the drain time. Before batch retries, every
// transfer of the interrupted batch ran alone, and each one still went as a bulk job (docs/transfers.md).
// Run: node bench/crash-recovery.ts [customers (default 500)]
import { startFlowEnv } from '../test/flows/helpers.ts';

const N = Number(process.argv[2] ?? 500);
const env = await startFlowEnv();
try {
  await env.hub.upsertMany(
    'customer',
    Array.from({ length: N }, (_, i) => ({
      id: `k${i}`,
      email_address: `k${i}@example.com`,
      first_name: `K${i}`,
    })),
  );
  const claimed = await env.engine.queue.claim('killed', {
    leaseMs: 60_000,
    flows: ['customer-to-profile'],
    maxBatch: () => 2000,
  });
  await env.engine.queue.recover({ all: true }); // the restart after the kill
  const counts = () => new Map([...env.sandbox.state.requestCounts].map(([op, c]) => [op, c.count]));
  const before = counts();
  const started = performance.now();
  const batches = await env.engine.pool.drain();
  await env.sandbox.state.idle();
  const ms = performance.now() - started;
  const after = counts();
  const delta = (op: string) => (after.get(op) ?? 0) - (before.get(op) ?? 0);
  const succeeded = await env.engine.log.count({ state: 'succeeded' });
  console.log(
    JSON.stringify({
      customers: N,
      interrupted_batch: claimed?.transfers.length ?? 0,
      batches_after_restart: batches,
      bulk_import_jobs: delta('bulk_import_profiles'),
      single_profile_writes:
        delta('create_profile') + delta('update_profile') + delta('create_or_update_profile'),
      succeeded,
      drain_ms: Math.round(ms),
    }),
  );
} finally {
  await env.close();
}
