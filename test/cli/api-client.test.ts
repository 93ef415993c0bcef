import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ApiError, createApiClient, describeError, resolveConnection } from '../../src/cli/api-client.ts';

// A stand-in for the service's API: just enough routes to check what the client sends and how it reads
// the answers. The real service is exercised by the command tests.
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
let baseUrl = '';
const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
  const json = (status: number, value: unknown, headers: Record<string, string | string[]> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };
  if (req.url === '/api/v1/session') {
    const { password } = JSON.parse(body);
    if (password !== 'correct horse')
      return json(401, { error: { code: 'UNAUTHENTICATED', message: 'Wrong password.' } });
    return json(200, { csrf_token: 'csrf-1' }, { 'set-cookie': ['ks_session=abc; HttpOnly; Path=/'] });
  }
  if (req.url === '/elsewhere/api/v1/things') {
    // Another web server at the address the CLI was given.
    res.writeHead(404, { 'content-type': 'text/html' });
    return res.end('<h1>Not Found</h1>');
  }
  const authorized = req.headers.authorization === 'Bearer tok_1' || req.headers.cookie === 'ks_session=abc';
  if (!authorized) return json(401, { error: { code: 'UNAUTHENTICATED', message: 'Sign in first.' } });
  if (req.url?.startsWith('/api/v1/things')) {
    const cursor = new URL(req.url, 'http://x').searchParams.get('cursor');
    return cursor
      ? json(200, { data: [3], next_cursor: null })
      : json(200, { data: [1, 2], next_cursor: 'c2' });
  }
  if (req.url === '/api/v1/customers/import') {
    const lines = body.trimEnd().split('\n');
    // The hub's answer: counts, and the rejected lines under `errors`.
    const errors = lines.flatMap((l, i) =>
      l.startsWith('{') ? [] : [{ line: i + 1, message: 'not valid JSON' }],
    );
    return json(200, {
      lines: lines.length,
      accepted: lines.length - errors.length,
      created: lines.length - errors.length,
      updated: 0,
      rejected: errors.length,
      errors,
      errors_truncated: false,
    });
  }
  json(404, { error: { code: 'NOT_FOUND', message: 'No such route.', field: 'path' } });
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const unexpected = (): never => assert.fail('expected the request to fail');

test('the connection comes from flags, then the environment, then the defaults', () => {
  assert.deepEqual(resolveConnection({}, {}), {
    baseUrl: 'http://127.0.0.1:3000',
    token: undefined,
    adminPassword: undefined,
  });
  assert.deepEqual(resolveConnection({}, { KLAVIYO_SYNC_PORT: '4100', KLAVIYO_SYNC_ADMIN_PASSWORD: 'pw' }), {
    baseUrl: 'http://127.0.0.1:4100',
    token: undefined,
    adminPassword: 'pw',
  });
  const env = {
    KLAVIYO_SYNC_URL: 'http://svc:9/',
    KLAVIYO_SYNC_TOKEN: 'envtok',
    KLAVIYO_SYNC_ADMIN_PASSWORD: 'pw',
  };
  assert.deepEqual(resolveConnection({}, env), {
    baseUrl: 'http://svc:9',
    token: 'envtok',
    adminPassword: undefined,
  });
  assert.equal(resolveConnection({ url: 'http://flag:1', token: 'flagtok' }, env).token, 'flagtok');
});

test('a token is sent as a bearer token and list pages are followed', async () => {
  const client = createApiClient({ baseUrl, token: 'tok_1' });
  assert.deepEqual(await client.listAll('/api/v1/things', { state: 'failed', limit: 2 }), [1, 2, 3]);
  const last = seen.at(-1)!;
  assert.equal(last.url, '/api/v1/things?state=failed&limit=2&cursor=c2');
  assert.equal(last.headers.authorization, 'Bearer tok_1');
});

test('with only the admin password, the client signs in once and sends the cookie and CSRF token', async () => {
  seen.length = 0;
  const client = createApiClient({ baseUrl, adminPassword: 'correct horse' });
  await client.request('GET', '/api/v1/things');
  await client.request('POST', '/api/v1/things?cursor=x', { a: 1 });
  assert.deepEqual(
    seen.map((s) => s.url),
    ['/api/v1/session', '/api/v1/things', '/api/v1/things?cursor=x'],
  );
  assert.equal(seen[2].headers.cookie, 'ks_session=abc');
  assert.equal(seen[2].headers['x-csrf-token'], 'csrf-1');
  assert.equal(seen[2].body, '{"a":1}');
});

test('error answers become ApiErrors with the code, and 401 says how to authenticate', async () => {
  const anonymous = createApiClient({ baseUrl });
  const unauthorized = await anonymous.request('GET', '/api/v1/things').then(unexpected, (e: ApiError) => e);
  assert.ok(unauthorized instanceof ApiError);
  assert.equal(unauthorized.status, 401);
  assert.match(
    unauthorized.message,
    /Sign in first\. — pass an API token with --token or KLAVIYO_SYNC_TOKEN/,
  );
  const missing = await createApiClient({ baseUrl, token: 'tok_1' })
    .request('GET', '/nope')
    .then(unexpected, (e: ApiError) => e);
  assert.deepEqual([missing.status, missing.code, missing.field], [404, 'NOT_FOUND', 'path']);
  const wrongPassword = await createApiClient({ baseUrl, adminPassword: 'nope' })
    .request('GET', '/api/v1/things')
    .then(unexpected, (e: ApiError) => e);
  assert.equal(wrongPassword.code, 'UNAUTHENTICATED');
  assert.doesNotMatch(wrongPassword.message, /nope/);
});

test('a refused credential is named, instead of advising the credential that was just refused', async () => {
  const wrongToken = await createApiClient({ baseUrl, token: 'tok_revoked' })
    .request('GET', '/api/v1/things')
    .then(unexpected, (e: ApiError) => e);
  assert.match(wrongToken.message, /the API token \(--token or KLAVIYO_SYNC_TOKEN\) was refused/);
  assert.doesNotMatch(wrongToken.message, /tok_revoked|set KLAVIYO_SYNC_ADMIN_PASSWORD to sign in/);
  const wrongPassword = await createApiClient({ baseUrl, adminPassword: 'nope' })
    .request('GET', '/api/v1/things')
    .then(unexpected, (e: ApiError) => e);
  assert.match(wrongPassword.message, /signing in as admin with KLAVIYO_SYNC_ADMIN_PASSWORD was refused/);
  assert.doesNotMatch(wrongPassword.message, /nope/);
});

test('errors printed by the CLI carry the stable code of the service; its own argument checks do not', () => {
  assert.equal(
    describeError(new ApiError(401, 'UNAUTHENTICATED', 'Wrong username or password.')),
    'UNAUTHENTICATED: Wrong username or password.',
  );
  assert.equal(
    describeError(new ApiError(0, 'SERVICE_UNREACHABLE', 'Could not reach it.')),
    'SERVICE_UNREACHABLE: Could not reach it.',
  );
  assert.equal(describeError(new ApiError(0, 'VALIDATION_FAILED', 'No such file: x')), 'No such file: x');
});

test('an answer that is not from klaviyo-sync says so and points at --url', async () => {
  const error = await createApiClient({ baseUrl: `${baseUrl}/elsewhere`, token: 'tok_1' })
    .request('GET', '/api/v1/things')
    .then(unexpected, (e: ApiError) => e);
  assert.equal(error.code, 'HTTP_404');
  assert.match(error.message, /answered 404 Not Found, which is not an answer of klaviyo-sync: check --url/);
});

test('an unreachable service is reported with the URL and what to do', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const error = await createApiClient({ baseUrl: `http://127.0.0.1:${port}`, token: 'tok_1' })
    .request('GET', '/api/v1/things')
    .then(unexpected, (e: ApiError) => e);
  assert.equal(error.code, 'SERVICE_UNREACHABLE');
  assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\).*klaviyo-sync start`));
  assert.doesNotMatch(error.message, /tok_1/);
});

test('NDJSON is streamed to the import route and the report comes back in one shape', async () => {
  const client = createApiClient({ baseUrl, token: 'tok_1' });
  const progress: number[] = [];
  async function* chunks() {
    yield '{"id":"1"}\n';
    yield 'oops\n{"id":"3"}\n';
  }
  const report = await client.importNdjson('customers', chunks(), (sent) => progress.push(sent));
  assert.equal(report.accepted, 2);
  assert.equal(report.rejectedCount, 1);
  assert.deepEqual(report.rejected, [
    { line: 2, code: undefined, message: 'not valid JSON', field: undefined },
  ]);
  assert.deepEqual(progress, [11, 27]);
  assert.equal(seen.at(-1)!.headers['content-type'], 'application/x-ndjson');
});
