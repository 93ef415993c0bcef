// `klaviyo-sync migrate`: brings the store's schema up to date and exits (start does this too).
import { ConfigError, loadConfig } from '../../config.ts';
import { openStore } from '../../store/db.ts';
import { migrate } from '../../store/migrate.ts';

export async function runMigrate(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrate(store);
    const where = config.databaseUrl ? 'PostgreSQL' : `${config.dataDir}/klaviyo-sync.db`;
    process.stdout.write(
      applied.length
        ? `Applied ${applied.length} migration(s) to ${where}:\n  ${applied.join('\n  ')}\n`
        : `${where} is up to date.\n`,
    );
  } finally {
    await store.close();
  }
}
