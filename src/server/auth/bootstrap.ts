// The first user (SPEC S8.1): `admin` with KLAVIYO_SYNC_ADMIN_PASSWORD when it is set, otherwise a
// one-time setup link printed at start; opening it lets the person choose the admin password.
import { countUsers, createSetupToken, createUser } from '../../store/repositories/auth.ts';
import type { ServiceContext } from '../../service/context.ts';
import { hashPassword } from './passwords.ts';

export const ADMIN_USERNAME = 'admin';
const SETUP_LINK_TTL_MS = 24 * 60 * 60 * 1000;

/** Creates the admin or a setup link when there is no user yet; answers the link when one was made. */
export async function bootstrapAdmin(ctx: ServiceContext): Promise<string | undefined> {
  if ((await countUsers(ctx.store.db)) > 0) return undefined;
  if (ctx.config.adminPassword) {
    await createUser(ctx.store.db, ADMIN_USERNAME, await hashPassword(ctx.config.adminPassword));
    ctx.log.info({ username: ADMIN_USERNAME }, 'admin user created from KLAVIYO_SYNC_ADMIN_PASSWORD');
    return undefined;
  }
  const token = await createSetupToken(ctx.store.db, SETUP_LINK_TTL_MS);
  ctx.log.info('no user yet: a one-time setup link was printed on standard output');
  return `${ctx.config.publicUrl}/setup?token=${token}`;
}
