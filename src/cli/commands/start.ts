import { loadConfig } from '../../config.ts';
import { buildServer } from '../../server/app.ts';

export async function runStart(): Promise<void> {
  const config = loadConfig();
  const app = await buildServer({ logger: { level: config.logLevel } });
  await app.listen({ port: config.port, host: config.host });
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
