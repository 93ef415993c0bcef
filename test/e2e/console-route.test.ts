// The console route: index.html for each console page (deep links and refreshes), hashed assets with a
// long cache, a clear page when the console is not built, and API paths never answered with HTML.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../src/service/context.ts';
import { register } from '../../src/server/routes/console.ts';

const INDEX =
  '<!doctype html><html><body><div id="root"></div><script src="/assets/app-abc123.js"></script></body></html>';

async function serve(webRoot: string): Promise<FastifyInstance> {
  const app = Fastify();
  await register(app, {} as ServiceContext, webRoot);
  await app.ready();
  return app;
}

describe('console route', () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'console-route-'));
    mkdirSync(path.join(dir, 'web/assets'), { recursive: true });
    writeFileSync(path.join(dir, 'web/index.html'), INDEX);
    writeFileSync(path.join(dir, 'web/assets/app-abc123.js'), 'console.log("app")');
    app = await serve(path.join(dir, 'web'));
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every console page answers index.html, not cached, with a same-origin-only CSP', async () => {
    for (const url of [
      '/',
      '/signin',
      '/subscriptions',
      '/subscriptions/abc/mappings',
      '/sync',
      '/transfers',
      '/dashboard',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, INDEX, url);
      assert.match(String(res.headers['content-type']), /text\/html/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'/);
    }
  });

  test('hashed assets are served with a long cache; unknown ones are 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/app-abc123.js' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'console.log("app")');
    assert.match(String(res.headers['cache-control']), /immutable/);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/nope.js' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/../index.html' })).statusCode, 404);
  });

  test('API, hook, OAuth and docs paths are not answered with the console', async () => {
    for (const url of ['/api/v1/anything', '/api', '/hooks/x', '/oauth/callback', '/docs/nope']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /<div id="root">/);
      assert.match(String(res.headers['content-type']), /json/, url);
    }
  });

  test('an unknown browser path answers the console (its "Page not found" view) with status 404', async () => {
    for (const url of ['/nope-page', '/settings/x', '/apiary']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.body, INDEX, url);
      assert.match(String(res.headers['content-type']), /text\/html/);
    }
  });

  test('the favicon is served for /favicon.ico and /favicon.svg, also without a build', async () => {
    const empty = await serve(path.join(dir, 'missing'));
    for (const server of [app, empty]) {
      for (const url of ['/favicon.ico', '/favicon.svg']) {
        const res = await server.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 200, url);
        assert.match(String(res.headers['content-type']), /image\/svg\+xml/);
        assert.match(res.body, /^<svg /);
      }
    }
    await empty.close();
  });

  test('without a build the pages say how to build it', async () => {
    const empty = await serve(path.join(dir, 'missing'));
    const res = await empty.inject({ method: 'GET', url: '/dashboard' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build:web/);
    await empty.close();
  });
});
