import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTestService } from '../helpers/service.ts';

async function headersFor(publicUrl: string): Promise<Headers> {
  const svc = await startTestService({ env: { KLAVIYO_SYNC_PUBLIC_URL: publicUrl } });
  try {
    return (await fetch(`${svc.baseUrl}/healthz`)).headers;
  } finally {
    await svc.close();
  }
}

describe('security headers follow the public URL scheme', () => {
  test('over plain http (a LAN address) the CSP does not upgrade requests and there is no HSTS', async () => {
    const headers = await headersFor('http://192.168.1.20:8080');
    const csp = headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/);
    assert.equal(headers.get('strict-transport-security'), null);
  });

  test('over https the CSP upgrades requests and HSTS is sent', async () => {
    const headers = await headersFor('https://sync.example.com');
    assert.match(headers.get('content-security-policy') ?? '', /upgrade-insecure-requests/);
    assert.match(headers.get('strict-transport-security') ?? '', /max-age=\d+/);
  });
});
