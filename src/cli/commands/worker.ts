// `klaviyo-sync worker`: transfers and polling only, no HTTP — the extra processes of a scaled install
// (docs/operations.md). They share the PostgreSQL store and queue with the `start` processes, and with it each
// Klaviyo account's rate budget, so adding workers adds throughput without multiplying the quota.
import { createService } from '../../app.ts';
import { ConfigError, loadConfig } from '../../config.ts';
import { SecretKeyError } from '../../secrets/index.ts';
import { logStreamForTerminal } from '../log-format.ts';

export class WorkerConfigError extends Error {}

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let service: Awaited<ReturnType<typeof createService>>;
  try {
    const config = loadConfig(env);
    if (!config.databaseUrl) {
      // The embedded SQLite store serves one process: `start` already runs the workers there, and a
      // second process would take the first one's running transfers for a crash's leftovers.
      throw new WorkerConfigError(
        'klaviyo-sync worker needs PostgreSQL (set DATABASE_URL). With the embedded SQLite store, ' +
          '`klaviyo-sync start` runs the workers in its own process.',
      );
    }
    // The HTTP server is built (routes share the context) but never listens.
    service = await createService(config, { workers: true, logStream: logStreamForTerminal() });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SecretKeyError || err instanceof WorkerConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  service.ctx.log.info({ pid: process.pid }, 'klaviyo-sync worker running (no HTTP)');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  service.ctx.log.info('klaviyo-sync worker stopping: finishing the transfers in flight');
  await service.stop();
}
