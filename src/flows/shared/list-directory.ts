// Klaviyo lists found by exact name (SPEC S4), cached per subscription. Lookups are single-flight per name
// so a batch naming "VIP" a thousand times costs one call, and creation (when the subscription allows it;
// Klaviyo allows 150 list creations a day) is single-flight too, so two workers in one process never make
// two lists of the same name. Misses are not cached for long: a list made in Klaviyo a minute ago is found.
import { AppError } from '../../domain/errors.ts';

export interface ListRef {
  id: string;
  name: string;
}

export interface ListSource {
  /** The list with exactly this name, or undefined. */
  findByName(name: string): Promise<ListRef | undefined>;
  create(name: string): Promise<ListRef>;
}

export interface ListDirectoryOptions {
  source: ListSource;
  now?: () => number;
  /** How long a found list is trusted; default 10 minutes. */
  hitTtlMs?: number;
  /** How long "no such list" is trusted; default 30 seconds. */
  missTtlMs?: number;
}

export interface ListDirectory {
  /** The list's id; with `createMissing` a missing list is made, else it fails with KLAVIYO_LIST_NOT_FOUND. */
  resolve(name: string, options?: { createMissing?: boolean }): Promise<ListRef>;
  /** Forget a list (e.g. Klaviyo answered 404 for its id: it was deleted). */
  forget(name: string): void;
}

export function listNotFound(name: string): AppError {
  return new AppError(
    'KLAVIYO_LIST_NOT_FOUND',
    `Klaviyo list '${name}' not found. Create the list in Klaviyo with exactly this name, correct the custom ` +
      `field's name, or turn on the subscription's "create missing lists" option.`,
    { details: { list: name } },
  );
}

export function createListDirectory(options: ListDirectoryOptions): ListDirectory {
  const now = options.now ?? Date.now;
  const hitTtl = options.hitTtlMs ?? 10 * 60_000;
  const missTtl = options.missTtlMs ?? 30_000;
  const cache = new Map<string, { list: ListRef | undefined; at: number }>();
  const lookups = new Map<string, Promise<ListRef | undefined>>();
  const creations = new Map<string, Promise<ListRef>>();

  async function lookup(name: string): Promise<ListRef | undefined> {
    const cached = cache.get(name);
    if (cached && now() - cached.at < (cached.list ? hitTtl : missTtl)) return cached.list;
    let pending = lookups.get(name);
    if (!pending) {
      pending = options.source
        .findByName(name)
        .then((list) => {
          cache.set(name, { list, at: now() });
          return list;
        })
        .finally(() => lookups.delete(name));
      lookups.set(name, pending);
    }
    return pending;
  }

  async function create(name: string): Promise<ListRef> {
    let pending = creations.get(name);
    if (!pending) {
      pending = (async () => {
        // Look again first: another process may have made it since our miss was cached.
        cache.delete(name);
        const existing = await lookup(name);
        if (existing) return existing;
        const made = await options.source.create(name);
        cache.set(name, { list: made, at: now() });
        return made;
      })().finally(() => creations.delete(name));
      creations.set(name, pending);
    }
    return pending;
  }

  return {
    async resolve(name, resolveOptions = {}) {
      const found = await lookup(name);
      if (found) return found;
      if (resolveOptions.createMissing) return create(name);
      throw listNotFound(name);
    },
    forget(name) {
      cache.delete(name);
    },
  };
}
