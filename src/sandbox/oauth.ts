// Klaviyo's OAuth flow for the sandbox's registered apps: a consent page (Continue, then Allow or Deny),
// authorization codes bound to a PKCE S256 challenge, /oauth/token (authorization_code and refresh_token with
// rotation, HTTP Basic client auth) and /oauth/revoke.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KNOWN_SCOPES } from './operations.ts';
import type { SandboxState } from './sandbox-state.ts';
import { readBody } from './server.ts';
import { secret } from './state.ts';

const CODE_TTL_MS = 10 * 60 * 1000;
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error, error_description: description }));
}

function loopbackRedirect(value: string | null): URL | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    return loopback && (url.protocol === 'http:' || url.protocol === 'https:') ? url : undefined;
  } catch {
    return undefined;
  }
}

function redirect(res: ServerResponse, target: URL, params: Record<string, string>): void {
  for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
  res.writeHead(302, { location: target.toString() });
  res.end();
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createOAuthHandler(state: SandboxState, accessTokenTtlSeconds: number) {
  function authorize(res: ServerResponse, query: URLSearchParams) {
    const app = state.apps.get(query.get('client_id') ?? '');
    if (!app) return page(res, 400, 'Invalid request', '<p>Unknown client_id.</p>');
    const redirectUri = loopbackRedirect(query.get('redirect_uri'));
    if (!redirectUri)
      return page(res, 400, 'Invalid request', '<p>The redirect_uri is not registered for this app.</p>');
    const stateParam = query.get('state') ?? '';
    const fail = (error: string, description: string) =>
      redirect(res, redirectUri, { error, error_description: description, state: stateParam });
    if (query.get('response_type') !== 'code')
      return fail('unsupported_response_type', 'response_type must be code');
    if (!stateParam) return fail('invalid_request', 'state is required');
    const challenge = query.get('code_challenge') ?? '';
    if (query.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return fail('invalid_request', 'a code_challenge with code_challenge_method=S256 is required');
    }
    const scopes = (query.get('scope') ?? '').split(/[\s+]+/).filter(Boolean);
    if (scopes.length === 0 || scopes.some((scope) => !KNOWN_SCOPES.has(scope)))
      return fail('invalid_scope', 'unknown or missing scope');
    const accountId =
      query.get('account') && state.accounts.has(query.get('account')!)
        ? query.get('account')!
        : state.defaultAccountId;
    const requestId = secret('ar_', 18);
    state.pendingAuthorizations.set(requestId, {
      clientId: app.clientId,
      redirectUri: query.get('redirect_uri')!,
      scopes,
      state: stateParam,
      codeChallenge: challenge,
      accountId,
      expiresAt: state.now() + CODE_TTL_MS,
    });
    const account = state.account(accountId);
    page(
      res,
      200,
      `Connect ${app.name} to Klaviyo`,
      `<p>${escapeHtml(app.name)} wants to connect to the Klaviyo account <strong>${escapeHtml(account.name)}</strong>.</p>` +
        `<form method="post" action="/oauth/authorize/continue"><input type="hidden" name="request_id" value="${requestId}"><button type="submit">Continue</button></form>`,
    );
  }

  function permissions(res: ServerResponse, form: URLSearchParams) {
    const pending = state.pendingAuthorizations.get(form.get('request_id') ?? '');
    if (!pending || pending.expiresAt <= state.now())
      return page(res, 400, 'Invalid request', '<p>This authorization request has expired. Start again.</p>');
    const app = state.apps.get(pending.clientId)!;
    const items = pending.scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
    const requestId = escapeHtml(form.get('request_id')!);
    page(
      res,
      200,
      `${app.name} would like access`,
      `<p>${escapeHtml(app.name)} is asking for these permissions:</p><ul>${items}</ul>` +
        `<form method="post" action="/oauth/authorize/decision"><input type="hidden" name="request_id" value="${requestId}">` +
        `<button type="submit" name="decision" value="allow">Allow</button> <button type="submit" name="decision" value="deny">Deny</button></form>`,
    );
  }

  function decide(res: ServerResponse, form: URLSearchParams) {
    const requestId = form.get('request_id') ?? '';
    const pending = state.pendingAuthorizations.get(requestId);
    if (!pending || pending.expiresAt <= state.now())
      return page(res, 400, 'Invalid request', '<p>This authorization request has expired. Start again.</p>');
    state.pendingAuthorizations.delete(requestId);
    const target = new URL(pending.redirectUri);
    if (form.get('decision') !== 'allow')
      return redirect(res, target, { error: 'access_denied', state: pending.state });
    state.install(pending.clientId, pending.accountId, pending.scopes);
    const code = secret('code_', 24);
    state.codes.set(code, {
      clientId: pending.clientId,
      accountId: pending.accountId,
      redirectUri: pending.redirectUri,
      codeChallenge: pending.codeChallenge,
      scopes: pending.scopes,
      expiresAt: state.now() + CODE_TTL_MS,
    });
    redirect(res, target, { code, state: pending.state });
  }

  function clientOf(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    // Klaviyo takes base64(client_id:client_secret) of the values as issued: nothing is form-decoded, so
    // a client that encodes them first (abc-123 as abc%2D123) is refused as Klaviyo would.
    const clientId = decoded.slice(0, colon);
    const app = state.apps.get(clientId);
    return app && sameSecret(decoded.slice(colon + 1), app.clientSecret) ? clientId : undefined;
  }

  function issue(res: ServerResponse, clientId: string, accountId: string, scopes: string[]): void {
    const install = state.findInstall(clientId, accountId)!;
    const now = state.now();
    const accessToken = secret('at_', 32);
    const refreshToken = secret('rt_', 32);
    const base = { clientId, accountId, scopes, generation: install.generation };
    state.accessTokens.set(accessToken, { ...base, expiresAt: now + accessTokenTtlSeconds * 1000 });
    state.refreshTokens.set(refreshToken, { ...base, expiresAt: Number.POSITIVE_INFINITY });
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(
      JSON.stringify({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: accessTokenTtlSeconds,
        refresh_token: refreshToken,
        scope: scopes.join(' '),
      }),
    );
  }

  function token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams) {
    const clientId = clientOf(req);
    if (!clientId) return oauthError(res, 401, 'invalid_client', 'Client authentication failed.');
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      const verifier = form.get('code_verifier') ?? '';
      if (!code || !verifier || !form.get('redirect_uri'))
        return oauthError(res, 400, 'invalid_request', 'code, code_verifier and redirect_uri are required.');
      if (!VERIFIER.test(verifier)) return oauthError(res, 400, 'invalid_request', 'Invalid code_verifier.');
      const grant = state.codes.get(code);
      // A code is single-use: it is spent by any attempt, as a replayed code must not be retried.
      state.codes.delete(code);
      if (!grant || grant.clientId !== clientId || grant.expiresAt <= state.now())
        return oauthError(res, 400, 'invalid_grant', 'The authorization code is invalid or expired.');
      if (grant.redirectUri !== form.get('redirect_uri'))
        return oauthError(res, 400, 'invalid_grant', 'The redirect_uri does not match.');
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge)
        return oauthError(res, 400, 'invalid_grant', 'Code challenge failed.');
      if (!state.findInstall(clientId, grant.accountId))
        return oauthError(res, 400, 'invalid_grant', 'The app is not installed.');
      return issue(res, clientId, grant.accountId, grant.scopes);
    }
    if (grantType === 'refresh_token') {
      const refreshToken = form.get('refresh_token') ?? '';
      if (!refreshToken) return oauthError(res, 400, 'invalid_request', 'refresh_token is required.');
      const issued = state.refreshTokens.get(refreshToken);
      if (!issued || issued.clientId !== clientId || !state.tokenIsLive(issued))
        return oauthError(res, 400, 'invalid_grant', 'The refresh token is invalid, expired or revoked.');
      // Rotation: the old refresh token is spent once a new one is issued.
      state.refreshTokens.delete(refreshToken);
      return issue(res, clientId, issued.accountId, issued.scopes);
    }
    return oauthError(
      res,
      400,
      'unsupported_grant_type',
      'grant_type must be authorization_code or refresh_token.',
    );
  }

  function revoke(req: IncomingMessage, res: ServerResponse, form: URLSearchParams) {
    const clientId = clientOf(req);
    if (!clientId) return oauthError(res, 401, 'invalid_client', 'Client authentication failed.');
    const value = form.get('token') ?? '';
    if (!value) return oauthError(res, 400, 'invalid_request', 'token is required.');
    const refresh = state.refreshTokens.get(value);
    // Revoking a refresh token uninstalls the app from the account, as Klaviyo does.
    if (refresh && refresh.clientId === clientId) state.removeInstall(clientId, refresh.accountId);
    const access = state.accessTokens.get(value);
    if (access && access.clientId === clientId) state.accessTokens.delete(value);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  }

  return async function handleOAuth(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/oauth/authorize') return authorize(res, url.searchParams);
    if (method !== 'POST') {
      req.resume();
      return oauthError(res, 405, 'invalid_request', 'Method not allowed.');
    }
    const raw = await readBody(req, 64 * 1024);
    if (raw === 'too-large') return oauthError(res, 400, 'invalid_request', 'The request body is too large.');
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (contentType !== 'application/x-www-form-urlencoded')
      return oauthError(res, 400, 'invalid_request', 'The body must be application/x-www-form-urlencoded.');
    const form = new URLSearchParams(raw.toString('utf8'));
    if (url.pathname === '/oauth/authorize/continue') return permissions(res, form);
    if (url.pathname === '/oauth/authorize/decision') return decide(res, form);
    if (url.pathname === '/oauth/token') return token(req, res, form);
    if (url.pathname === '/oauth/revoke') return revoke(req, res, form);
    oauthError(res, 404, 'invalid_request', 'Not found.');
  };
}
