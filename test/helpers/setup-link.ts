// A service started the way a first install starts it: no admin password, so it logs a one-time setup
// link. For tests of that link; the service writes into a temp data folder that `close` removes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createService } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';

export interface ServiceAwaitingSetup {
  baseUrl: string;
  /** The `token` of the setup link the service announced at start. */
  token: string;
  close(): Promise<void>;
}

export async function startAwaitingSetup(
  options: { now?: () => number } = {},
): Promise<ServiceAwaitingSetup> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-setup-'));
  let link = '';
  const service = await createService(
    loadConfig({ KLAVIYO_SYNC_PORT: '0', KLAVIYO_SYNC_DATA_DIR: dataDir, KLAVIYO_SYNC_LOG_LEVEL: 'silent' }),
    {
      onSetupLink: (url) => {
        link = url;
      },
      now: options.now,
    },
  );
  const close = async () => {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const baseUrl = await service.start();
    return { baseUrl, token: new URL(link).searchParams.get('token') ?? '', close };
  } catch (err) {
    await close();
    throw err;
  }
}
