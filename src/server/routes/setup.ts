// The one-time setup link's pages (SPEC S8.1): a person opens the link from the service log in a browser,
// so every answer here is a page that says what happened and what to do next, never raw JSON.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  consumeSetupToken,
  countUsers,
  createUser,
  type SetupTokenState,
  setupTokenState,
} from '../../store/repositories/auth.ts';
import { ADMIN_USERNAME } from '../auth/bootstrap.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { ServiceContext } from '../../service/context.ts';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 200;

export type SetupOutcome = { ok: true; userId: string } | { ok: false; reason: SetupRefusal };
export type SetupRefusal = Exclude<SetupTokenState, 'valid'> | 'already_set_up';

/** Creates the admin from a setup token; the token is consumed atomically, so only one caller wins. */
export async function createAdminFromSetupToken(
  ctx: ServiceContext,
  token: string,
  password: string,
): Promise<SetupOutcome> {
  const state = await setupTokenState(ctx.store.db, token, ctx.now());
  if (state !== 'valid') return { ok: false, reason: state };
  if ((await countUsers(ctx.store.db)) > 0) return { ok: false, reason: 'already_set_up' };
  // Someone else may have used it between the look and now.
  if (!(await consumeSetupToken(ctx.store.db, token, ctx.now()))) return { ok: false, reason: 'used' };
  const user = await createUser(ctx.store.db, ADMIN_USERNAME, await hashPassword(password));
  ctx.log.info({ username: ADMIN_USERNAME }, 'admin user created from the setup link');
  return { ok: true, userId: user.id };
}

const REFUSALS: Record<SetupRefusal, { status: number; title: string; body: string }> = {
  used: {
    status: 410,
    title: 'This setup link was already used',
    body:
      '<p>The admin password has been set with this link. <a href="/signin">Sign in</a> as <strong>admin</strong> with that password.</p>' +
      '<p>A setup link works once; a new one is printed only while the service has no user.</p>',
  },
  expired: {
    status: 410,
    title: 'This setup link has expired',
    body:
      '<p>Setup links last 24 hours. Restart the service: while it has no user it prints a new link in its log. ' +
      'Or set <code>KLAVIYO_SYNC_ADMIN_PASSWORD</code> before the restart to create <strong>admin</strong> with that password.</p>',
  },
  unknown: {
    status: 404,
    title: 'This setup link is not valid',
    body:
      '<p>The link is incomplete or was never issued by this service. Copy the whole link, with its ' +
      '<code>?token=…</code>, from the service log (the line that mentions the setup link), or restart the service to print a new one.</p>',
  },
  already_set_up: {
    status: 410,
    title: 'The service is already set up',
    body: '<p>The admin user exists. <a href="/signin">Sign in</a> with its password.</p>',
  },
};

// Looks like the console and its OAuth result pages; inline because the page loads nothing else.
const PAGE_STYLE =
  'body{margin:0;background:#f5f7fa;color:#1f2430;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
  'main{max-width:34rem;margin:12vh auto;padding:1.5rem 1.75rem;background:#fff;border:1px solid #d9dee7;border-radius:8px}' +
  'h1{font-size:1.35rem;margin:0 0 .75rem}p{margin:.5rem 0}a{color:#1d4ed8}code{font-size:.9em}' +
  'label{display:block;margin:.9rem 0 .25rem;font-weight:600}' +
  'input{box-sizing:border-box;width:100%;padding:.5rem .6rem;font:inherit;border:1px solid #b8c0cc;border-radius:6px}' +
  'input:focus{outline:2px solid #1d4ed8;outline-offset:1px}' +
  'button{margin-top:1.1rem;padding:.55rem 1.1rem;font:inherit;color:#fff;background:#1d4ed8;border:0;border-radius:6px;cursor:pointer}' +
  '.error{padding:.6rem .8rem;background:#fdecec;border:1px solid #f3b4b4;border-radius:6px;color:#8a1c1c}' +
  '.hint{color:#5b6472;font-size:.9rem}';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · klaviyo-sync</title><style>${PAGE_STYLE}</style>${script}</head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function formPage(token: string, error?: string): string {
  const alert = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return page(
    'Set the admin password',
    `<p>This one-time link creates the user <strong>admin</strong>. Choose a password of at least ${PASSWORD_MIN} characters.</p>${alert}` +
      `<form method="post" action="/setup" id="setup-form"><input type="hidden" name="token" value="${escapeHtml(token)}">` +
      `<label for="password">Password</label><input id="password" type="password" name="password" minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}" required autocomplete="new-password" aria-describedby="password-hint">` +
      `<p class="hint" id="password-hint">At least ${PASSWORD_MIN} characters.</p>` +
      `<label for="password_confirmation">Confirm password</label><input id="password_confirmation" type="password" name="password_confirmation" minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}" required autocomplete="new-password">` +
      '<button type="submit">Set the password</button></form>',
    // The CSP allows scripts from this service only, so the match check is a small file, not inline.
    '<script src="/setup/check.js" defer></script>',
  );
}

const CHECK_SCRIPT = `(() => {
  const password = document.getElementById('password');
  const confirmation = document.getElementById('password_confirmation');
  if (!password || !confirmation) return;
  const check = () => confirmation.setCustomValidity(
    confirmation.value && confirmation.value !== password.value ? 'The two passwords do not match.' : '');
  password.addEventListener('input', check);
  confirmation.addEventListener('input', check);
})();
`;

function sendPage(reply: FastifyReply, status: number, html: string) {
  // The link's token must not be cached by the browser or a proxy.
  reply.header('cache-control', 'no-store');
  return reply.status(status).type('text/html; charset=utf-8').send(html);
}

function refusalPage(reply: FastifyReply, reason: SetupRefusal) {
  const refusal = REFUSALS[reason];
  return sendPage(reply, refusal.status, page(refusal.title, refusal.body));
}

export function registerSetupPages(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/setup',
    { schema: { hide: true, querystring: z.object({ token: z.string().default('') }) } },
    async (req, reply) => {
      const state = await setupTokenState(ctx.store.db, req.query.token, ctx.now());
      if (state !== 'valid') return refusalPage(reply, state);
      if ((await countUsers(ctx.store.db)) > 0) return refusalPage(reply, 'already_set_up');
      return sendPage(reply, 200, formPage(req.query.token));
    },
  );

  r.get('/setup/check.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(CHECK_SCRIPT),
  );

  // Checked by hand, not by a schema: a schema refusal would answer JSON to a person in a browser.
  r.post(
    '/setup',
    {
      schema: {
        hide: true,
        body: z.object({
          token: z.string().default(''),
          password: z.string().default(''),
          password_confirmation: z.string().optional(),
        }),
      },
    },
    async (req, reply) => {
      const { token, password, password_confirmation: confirmation } = req.body;
      const state = await setupTokenState(ctx.store.db, token, ctx.now());
      if (state !== 'valid') return refusalPage(reply, state);
      if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
        const error = `The password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long.`;
        return sendPage(reply, 400, formPage(token, error));
      }
      if (confirmation !== password) {
        return sendPage(reply, 400, formPage(token, 'The two passwords do not match: type them again.'));
      }
      const outcome = await createAdminFromSetupToken(ctx, token, password);
      if (!outcome.ok) return refusalPage(reply, outcome.reason);
      return sendPage(
        reply,
        200,
        page(
          'The admin password is set',
          '<p>The user <strong>admin</strong> now exists with the password you chose. This setup link no longer works.</p>' +
            '<p><a href="/signin">Sign in to the console</a> as <strong>admin</strong>.</p>',
        ),
      );
    },
  );
}
