// `klaviyo-sync start`: the service (API, console and, as areas add them, the workers) in one process.
import { createService } from '../../app.ts';
import { ConfigError, loadConfig } from '../../config.ts';
import { SecretKeyError } from '../../secrets/index.ts';
import { firstStartHints } from './status.ts';

export async function runStart(): Promise<void> {
  let service: Awaited<ReturnType<typeof createService>>;
  try {
    service = await createService(loadConfig());
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SecretKeyError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const url = await service.start();
  service.ctx.log.info({ url }, 'klaviyo-sync listening');
  for (const line of await firstStartHints(service.ctx.store, service.ctx.config.publicUrl))
    console.log(line);
  const stop = async () => {
    await service.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
