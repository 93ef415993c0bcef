// What every route module and background part receives: the configuration, the store, the logger,
// and the services that areas add as they are built. Areas add their service here with a small edit
// (an optional field first, made required once the composition root in src/app.ts provides it).
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Store } from '../store/db.ts';

export interface ServiceContext {
  config: Config;
  store: Store;
  log: Logger;
}
