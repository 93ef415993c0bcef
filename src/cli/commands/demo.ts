// `klaviyo-sync demo` (and `npm run demo`): the sandbox and the service in one process, sample data
// flowing into the sandbox's Klaviyo account, then the console's address and credentials, running until
// Ctrl-C. With --exit-when-drained it stops once every transfer has finished (tests, CI, benchmarks).
import { ConfigError } from '../../config.ts';
import { DEMO_SUBSCRIPTION_NAME, runDemo } from '../run-demo.ts';

export interface DemoCommandOptions {
  port?: string;
  sandboxPort?: string;
  dataDir?: string;
  seed?: string;
  customers?: string;
  orders?: string;
  exitWhenDrained?: boolean;
}

class DemoFlagError extends Error {}

const toInt = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new DemoFlagError(`--${name} must be a whole number (got '${value}')`);
  return n;
};

const toPort = (value: string | undefined, name: string): number | undefined => {
  const port = toInt(value, name);
  if (port !== undefined && port > 65535) {
    throw new DemoFlagError(`--${name} must be a port from 0 to 65535, 0 for any free one (got '${value}')`);
  }
  return port;
};

/** Starts the demo; a busy port or a bad flag ends it with one line and exit code 1. */
async function startDemo(options: DemoCommandOptions, out: (line: string) => void) {
  try {
    return await runDemo({
      port: toPort(options.port, 'port'),
      sandboxPort: toPort(options.sandboxPort, 'sandbox-port'),
      dataDir: options.dataDir,
      seed: options.seed,
      customers: toInt(options.customers, 'customers'),
      orders: toInt(options.orders, 'orders'),
      out,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') {
      // The sandbox's port or the service's: the error names the one that was taken.
      const taken = (error as { port?: number }).port;
      const flag = taken !== undefined && String(taken) === options.sandboxPort ? '--sandbox-port' : '--port';
      const port = taken ?? options.port ?? process.env.KLAVIYO_SYNC_PORT ?? 3000;
      process.stderr.write(
        `klaviyo-sync demo: port ${port} is in use; pass ${flag} <free port> (or ${flag} 0 for any free one).\n`,
      );
    } else if (error instanceof ConfigError || error instanceof DemoFlagError) {
      process.stderr.write(`klaviyo-sync demo: ${error.message}\n`);
    } else throw error;
    process.exitCode = 1;
    return undefined;
  }
}

export async function runDemoCommand(options: DemoCommandOptions): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const demo = await startDemo(options, out);
  if (!demo) return;

  if (options.exitWhenDrained) {
    await demo.close();
    out(
      demo.drain.drained ? 'Demo finished (--exit-when-drained).' : 'Demo stopped before the queue drained.',
    );
    if (!demo.drain.drained) process.exitCode = 1;
    return;
  }
  out('');
  out(`Open the console: ${demo.baseUrl}`);
  out(`  user admin, password ${demo.adminPassword}`);
  out(`API token (for scripts and the CLI): ${demo.apiToken}`);
  out(`  e.g. KLAVIYO_SYNC_URL=${demo.baseUrl} KLAVIYO_SYNC_TOKEN=${demo.apiToken} \\`);
  out(`       npx klaviyo-sync sync --subscription "${DEMO_SUBSCRIPTION_NAME}" \\`);
  out(`       --collection "Add Klaviyo Profile FROM hub" --ids C00001 --debug`);
  out(`  and  KLAVIYO_SYNC_DATA_DIR=${demo.dataDir} npx klaviyo-sync status`);
  out(`Sandbox Klaviyo API: ${demo.sandbox.url} (API key ${demo.sandbox.apiKey})`);
  out(`  its state: ${demo.sandbox.url}/__sandbox/state`);
  out(
    options.dataDir
      ? 'Press Ctrl-C to stop.'
      : 'Press Ctrl-C to stop; the demo’s temporary data is removed then.',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out('Stopping…');
  await demo.close();
}
