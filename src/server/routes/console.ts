// Serves the web console: the built assets under /assets/ and index.html for each page of the console
// (the client-side routes), so deep links and refreshes work. API paths are never answered here.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';

const defaultWebRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/web');
// The build copies it into the web root; the source copy serves when the console is not built.
const sourceFavicon = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../web/public/favicon.svg',
);

/** Paths that belong to the API, hooks, OAuth and docs: an unknown one answers the JSON 404, never a page. */
const NOT_CONSOLE = /^\/(api|hooks|oauth|docs)(\/|$)/;

/** The console's pages (src/web/App.tsx); each answers index.html and the page is drawn in the browser. */
export const CONSOLE_PATHS = [
  '/',
  '/signin',
  '/subscriptions',
  '/subscriptions/*',
  '/mappings',
  '/sync',
  '/transfers',
  '/transfers/*',
  '/dashboard',
  '/webhooks',
];

// Everything the console loads comes from this service; nothing from other origins.
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>klaviyo-sync</title></head>
<body><h1>The console is not built yet</h1><p>Run <code>npm run build:web</code> (or <code>npm start</code>, which builds it)
and reload this page. The API works without it.</p></body></html>`;

export async function register(
  app: FastifyInstance,
  _ctx: ServiceContext,
  webRoot = defaultWebRoot,
): Promise<void> {
  const indexFile = path.join(webRoot, 'index.html');

  const sendIndex = async (reply: FastifyReply) => {
    if (!reply.getHeader('content-security-policy')) reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('cache-control', 'no-cache');
    reply.header('x-content-type-options', 'nosniff');
    // Read on each request: a rebuild (npm run build:web) shows up without a restart; the file is tiny.
    const html = existsSync(indexFile) ? await readFile(indexFile, 'utf8') : null;
    if (html === null) return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    return reply.type('text/html; charset=utf-8').send(html);
  };

  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: path.join(webRoot, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      // File names carry a content hash, so a cached copy is never stale.
      immutable: true,
      maxAge: '365d',
    });
    for (const url of CONSOLE_PATHS)
      scope.get(url, { schema: { hide: true } }, (_req, reply) => sendIndex(reply));
    // Any other browser path: the console draws its "Page not found" view (with a link home) instead
    // of the raw JSON 404, still with status 404.
    scope.get('/*', { schema: { hide: true } }, (req, reply) => {
      if (NOT_CONSOLE.test(req.url)) return reply.callNotFound();
      reply.status(404);
      return sendIndex(reply);
    });
    // Browsers ask for /favicon.ico on every page (setup, OAuth results, docs too); one small SVG serves.
    for (const url of ['/favicon.ico', '/favicon.svg']) {
      scope.get(url, { schema: { hide: true } }, async (_req, reply) => {
        const built = path.join(webRoot, 'favicon.svg');
        const svg = await readFile(existsSync(built) ? built : sourceFavicon);
        reply.header('cache-control', 'public, max-age=86400');
        return reply.type('image/svg+xml').send(svg);
      });
    }
  });
}
