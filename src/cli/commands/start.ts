// `klaviyo-sync start`: the service (API, console and, as areas add them, the workers) in one process.
import { createService } from '../../app.ts';
import { ConfigError, loadConfig } from '../../config.ts';
import { SecretKeyError } from '../../secrets/index.ts';
import { logStreamForTerminal } from '../log-format.ts';
import { firstStartHints } from './status.ts';

export interface StartOptions {
  /** Overrides KLAVIYO_SYNC_PORT (0 picks a free port). */
  port?: string;
}

/** A port taken by another program, in words: which port, and the two ways to choose another. */
export function portInUseMessage(port: number | string, host: string): string {
  return (
    `klaviyo-sync: port ${port} on ${host} is already in use (another klaviyo-sync, or another program). ` +
    'Stop that program, or choose another port: KLAVIYO_SYNC_PORT=3001 npm start, or ' +
    'klaviyo-sync start --port 3001 (0 picks any free port).\n'
  );
}

export async function runStart(options: StartOptions = {}): Promise<void> {
  const env = { ...process.env };
  if (options.port !== undefined) env.KLAVIYO_SYNC_PORT = options.port;
  let service: Awaited<ReturnType<typeof createService>>;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
    service = await createService(config, { logStream: logStreamForTerminal() });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SecretKeyError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  let url: string;
  try {
    url = await service.start();
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      await service.stop();
      process.stderr.write(portInUseMessage((err as { port?: number }).port ?? config.port, config.host));
      process.exit(1);
    }
    throw err;
  }
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
