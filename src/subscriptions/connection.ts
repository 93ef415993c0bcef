// The connection test (SPEC S2): `GET /api/accounts` with the subscription's credentials; the result,
// with the Klaviyo account's name and id, is stored as the subscription's status. Messages are written
// here, never copied from an answer that could echo a credential.
import { AppError } from '../domain/errors.ts';
import type { SubscriptionStatus } from '../domain/subscription.ts';
import { DEFAULT_REVISION, KlaviyoError, revisionWarning } from '../klaviyo/index.ts';
import type { ServiceContext } from '../service/context.ts';
import type { ConnectionResult } from '../store/repositories/subscriptions.ts';
import { markSubscriptionStatus } from './status.ts';
import { requireSubscription } from './lookup.ts';

function accountNameOf(account: { id: string; attributes?: Record<string, unknown> }): string | null {
  const contact = account.attributes?.contact_information as
    | { organization_name?: unknown; default_sender_name?: unknown }
    | undefined;
  const name = contact?.organization_name ?? contact?.default_sender_name;
  return typeof name === 'string' && name ? name : null;
}

export function describeFailure(
  err: unknown,
  authMethod: string,
): { status: SubscriptionStatus; message: string } {
  if (err instanceof AppError) {
    if (err.code === 'AUTH_REVOKED') return { status: 'authorization_revoked', message: err.message };
    if (err.code === 'AUTH_MISSING')
      return {
        status: authMethod === 'oauth' ? 'needs_authorization' : 'not_connected',
        message: err.message,
      };
    return { status: 'error', message: err.message };
  }
  if (err instanceof KlaviyoError) {
    // A retired or unknown revision: the client's message says which revision to move to.
    // (Likewise an answer that does not fit: the message names the part at fault.)
    if (
      err.code === 'KLAVIYO_REVISION_RETIRED' ||
      err.code === 'KLAVIYO_REVISION_UNKNOWN' ||
      err.code === 'KLAVIYO_UNEXPECTED_RESPONSE'
    )
      return { status: 'error', message: err.message };
    // Klaviyo may refuse credentials with a 400 as well as a 401; the client reads its error code.
    if (err.status === 401 || err.code === 'AUTH_INVALID_KEY' || err.code === 'AUTH_REVOKED') {
      return authMethod === 'oauth'
        ? {
            status: 'error',
            message: `Klaviyo refused the access token (${err.status}) even after a refresh. Click Authenticate to reconnect.`,
          }
        : {
            status: 'error',
            message: `Klaviyo refused the API key (${err.status}${err.status === 401 ? ' Unauthorized' : ''}): it is wrong, was deleted, or is not a private key. Make one in Klaviyo under Settings > Account > API Keys > Create Private API Key (full access) and save it here.`,
          };
    }
    if (err.code === 'AUTH_FORBIDDEN_SCOPE') {
      return {
        status: 'error',
        message:
          'Klaviyo answered 403 Forbidden: the credentials lack the accounts:read scope. Use a full-access private key or authenticate again.',
      };
    }
    if (err.status === 429)
      return {
        status: 'error',
        message:
          'Klaviyo is rate limiting this account right now (429); test the connection again in a minute.',
      };
    if (err.status === 0)
      return {
        status: 'error',
        message:
          'Klaviyo could not be reached (timeout or network failure). Check the API URL and the network, then test again.',
      };
    return {
      status: 'error',
      message: `Klaviyo answered ${err.status} to GET /api/accounts; test again later.`,
    };
  }
  return { status: 'error', message: 'The connection test failed unexpectedly; see the service log.' };
}

/** Runs the test and stores its outcome; answers the outcome. */
export async function testConnection(ctx: ServiceContext, subscriptionId: string): Promise<ConnectionResult> {
  const sub = await requireSubscription(ctx, subscriptionId);
  let result: ConnectionResult;
  try {
    const client = await ctx.klaviyoFor(subscriptionId);
    const account = await client.accounts.get();
    const accountName = accountNameOf(account);
    const warning = revisionWarning(sub.api_revision ?? DEFAULT_REVISION, ctx.now());
    result = {
      status: 'connected',
      message: `Connected to Klaviyo account ${accountName ?? account.id}${warning ? `. ${warning}` : ''}`,
      accountId: account.id,
      accountName,
    };
  } catch (err) {
    const failure = describeFailure(err, sub.auth_method);
    if (failure.message.startsWith('The connection test failed unexpectedly'))
      ctx.log.error({ err, subscriptionId }, 'connection test failed');
    else
      ctx.log.warn(
        { subscriptionId, status: failure.status, code: (err as { code?: string }).code },
        'connection test failed',
      );
    result = { status: failure.status, message: failure.message };
  }
  await markSubscriptionStatus(
    ctx,
    subscriptionId,
    result.status,
    result.message,
    result.accountId !== undefined
      ? { accountId: result.accountId ?? null, accountName: result.accountName ?? null }
      : undefined,
  );
  return result;
}
