// The `klaviyo-sync` command line. Each command lives in commands/ and is loaded only when used, so
// `klaviyo-sync sandbox` does not pay for the service's start-up and the other way round.
import { Command } from 'commander';

const program = new Command('klaviyo-sync')
  .description('Sync a commerce data hub with Klaviyo: service, workers, sandbox and tools.')
  .showHelpAfterError();

program
  .command('start', { isDefault: true })
  .description('start the service: API, console and workers (embedded SQLite unless DATABASE_URL is set)')
  .action(async () => {
    const { runStart } = await import('./commands/start.ts');
    await runStart();
  });

await program.parseAsync(process.argv);
