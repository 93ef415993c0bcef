// `klaviyo-sync migrate`: brings the store's schema up to date and exits (start does this too).
import { ConfigError, loadConfig } from '../../config.ts';
import { openStore } from '../../store/db.ts';
import { migrate } from '../../store/migrate.ts';
import { describeStore, describeStoreFailure } from './status.ts';

/** Errors of reaching or signing in to the database, as opposed to a failing migration (a bug). */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|28P01|28000|3D000|SQLITE_CANTOPEN)$/.test(
    code,
  );
}

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
    let applied: string[];
    try {
      applied = await migrate(store);
    } catch (error) {
      // An unreachable database is the operator's to fix: one line, not a driver stack trace.
      if (!isConnectionFailure(error)) throw error;
      process.stderr.write(`klaviyo-sync migrate: ${describeStoreFailure(error, describeStore(config))}\n`);
      process.exitCode = 1;
      return;
    }
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
