// The `klaviyo-sync` command line. Each command lives in commands/ and is loaded only when used, so
// `klaviyo-sync sandbox` does not pay for the service's start-up and the other way round.
import { Command } from 'commander';

const program = new Command('klaviyo-sync')
  .description('Sync a commerce data hub with Klaviyo: service, workers, sandbox and tools.')
  .showHelpAfterError();

program
  .command('start', { isDefault: true })
  .description('start the service: API, console and workers (embedded SQLite unless DATABASE_URL is set)')
  .option('--port <port>', 'port to listen on (default KLAVIYO_SYNC_PORT or 3000; 0 picks a free one)')
  .action(async (options) => {
    const { runStart } = await import('./commands/start.ts');
    await runStart(options);
  });

program
  .command('migrate')
  .description(
    'bring the store schema up to date (SQLite in KLAVIYO_SYNC_DATA_DIR, or DATABASE_URL) and exit',
  )
  .action(async () => {
    const { runMigrate } = await import('./commands/migrate.ts');
    await runMigrate();
  });

program
  .command('sandbox')
  .description('run the Klaviyo sandbox: a local Klaviyo-compatible API for trying, testing and benchmarking')
  .option('--port <p>', 'port to listen on (default: a free port)')
  .option('--host <host>', 'address to listen on (default 127.0.0.1)')
  .option('--api-key <key>', 'private API key of the default account (default: generated)')
  .option('--oauth-client-id <id>', 'client id of the registered OAuth app (default: generated)')
  .option('--oauth-client-secret <secret>', 'client secret of the registered OAuth app (default: generated)')
  .option('--time-scale <n>', 'shorten rate-limit windows n times (default 1)')
  .option('--no-rate-limits', 'turn rate limits off')
  .action(async (options) => {
    const { runSandbox } = await import('./commands/sandbox.ts');
    await runSandbox(options);
  });

// Commands that talk to a running service take where and who from flags or the environment.
const withConnection = (command: Command) =>
  command
    .option(
      '--url <url>',
      'service address (env KLAVIYO_SYNC_URL; default http://127.0.0.1:$KLAVIYO_SYNC_PORT or :3000)',
    )
    .option(
      '--token <token>',
      'API token (env KLAVIYO_SYNC_TOKEN; else signs in as admin with KLAVIYO_SYNC_ADMIN_PASSWORD)',
    );

withConnection(
  program
    .command('import')
    .description('stream an NDJSON file of hub records into a running service, with a progress bar')
    .argument('<kind>', 'customers, transactions or products')
    .argument('<file>', 'NDJSON file: one JSON record per line (- reads standard input)')
    .option('--show <n>', 'how many rejected lines to print', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'print the import report as JSON')
    .addHelpText(
      'after',
      '\nPrints accepted and rejected counts and each rejected line with its number and reason.\n' +
        'Exit code: 0 all accepted, 2 some lines rejected, 1 error.\n' +
        'Example: klaviyo-sync import customers customers.ndjson --url http://127.0.0.1:3000 --token "$TOKEN"',
    ),
).action(async (kind: string, file: string, options) => {
  const { reportErrors } = await import('./api-client.ts');
  const { runImport } = await import('./commands/import.ts');
  await reportErrors(async () => {
    const report = await runImport(kind, file, options, { out: (line) => console.log(line) });
    if (report.rejectedCount > 0) process.exitCode = 2;
  });
});

program
  .command('status')
  .description('show subscriptions, queue depth per transfer state and recent failures (reads the store)')
  .option('--failures <n>', 'how many recent failures to list', (v) => Number.parseInt(v, 10), 10)
  .option('--json', 'print the report as JSON')
  .addHelpText(
    'after',
    '\nReads the store directly, read-only: run it where the service runs, with the same\n' +
      'KLAVIYO_SYNC_DATA_DIR or DATABASE_URL. Works while the service is stopped; needs no API token.',
  )
  .action(async (options) => {
    const { reportErrors } = await import('./api-client.ts');
    const { runStatus, StatusError } = await import('./commands/status.ts');
    const { ConfigError } = await import('../config.ts');
    await reportErrors(async () => {
      await runStatus(options, (line) => console.log(line));
    }, [StatusError, ConfigError]);
  });

program
  .command('worker')
  .description('run transfer workers and polling only, no HTTP (scaled installs on PostgreSQL: DATABASE_URL)')
  .addHelpText(
    'after',
    '\nRun any number of these beside one or more `klaviyo-sync start` processes sharing DATABASE_URL;\n' +
      "they share the queue and each Klaviyo account's rate budget. Stops gracefully on SIGTERM/SIGINT.",
  )
  .action(async () => {
    const { runWorker } = await import('./commands/worker.ts');
    await runWorker();
  });

program
  .command('demo')
  .description(
    'try everything: sandbox + service in one process, sample data flowing to a sandbox Klaviyo account',
  )
  .option('--port <port>', 'service port (default KLAVIYO_SYNC_PORT or 3000; 0 picks a free one)')
  .option('--sandbox-port <port>', 'sandbox port (default: a free one)')
  .option(
    '--data-dir <dir>',
    'keep the demo store in this folder (default: a temporary folder removed on exit)',
  )
  .option('--seed <seed>', 'seed of the sample data generator (same seed, same data)')
  .option('--customers <n>', 'how many customers to generate (default 1000)')
  .option('--orders <n>', 'how many orders to generate (default 2000)')
  .option('--exit-when-drained', 'stop once every transfer has finished instead of running until Ctrl-C')
  .addHelpText(
    'after',
    '\nStarts the Klaviyo sandbox and the service, signs in, creates a sandbox subscription with the\n' +
      'default mappings, imports 1,000 customers (addresses, consent fields, E.164 phones in several\n' +
      'countries, a few broken on purpose) and 2,000 orders, shows progress until the transfers drain,\n' +
      'then prints the console URL and credentials. Also: npm run demo',
  )
  .action(async (options) => {
    const { runDemoCommand } = await import('./commands/demo.ts');
    await runDemoCommand(options);
  });

withConnection(
  program
    .command('sync')
    .description('manual sync: send records by id through a collection now, and wait for their outcome')
    .requiredOption('--subscription <id or name>', 'the subscription')
    .requiredOption(
      '--collection <id or name>',
      'the mapping collection (e.g. "Add Klaviyo Profile FROM hub")',
    )
    .option('--ids <ids>', 'record ids, comma separated (hub ids FROM hub, Klaviyo profile ids TO hub)')
    .option('--ids-file <file>', 'a file of ids, one a line (any number: sent 3,000 at a time)')
    .option('--debug', 'run ahead of the queue and print every logged step (payload, request, response)')
    .option(
      '--backfill',
      'send as history: order events recorded without triggering Klaviyo flows, consent as a historical import (no double opt-in)',
    )
    .option('--no-wait', 'queue and return without waiting for the outcome')
    .option('--timeout <seconds>', 'stop waiting after this long', (v) => Number.parseInt(v, 10), 600)
    .option('--json', 'print the transfers as JSON')
    .option('--dry-run', 'say what a sync would do (create, update, skip, fail and why) and send nothing')
    .option('--sample <n>', 'dry run: the first n records of the kind (at most 1000)', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--all', 'dry run: every record of the kind (up to 100,000)')
    .option('--no-lookups', 'dry run: use stored links only, ask Klaviyo nothing (no profile look-ups)')
    .addHelpText(
      'after',
      '\nExample: klaviyo-sync sync --subscription "Main store" --collection "Add Klaviyo Profile FROM hub" \\\n' +
        '           --ids C00001,C00002 --debug\n' +
        'Before a backfill: klaviyo-sync sync --dry-run --all --subscription "Main store" \\\n' +
        '           --collection "Add Klaviyo Profile FROM hub"',
    ),
).action(async (options) => {
  const { reportErrors } = await import('./api-client.ts');
  const { runSync } = await import('./commands/sync.ts');
  await reportErrors(async () => {
    const rows = await runSync(options, { out: (line) => console.log(line) });
    if (rows.some((t) => t.state === 'failed' || t.state === 'dead')) process.exitCode = 2;
  });
});

await program.parseAsync(process.argv);
