// Users of other roles for a test service: an admin invites them (the real invitation link), they choose
// a password through POST /api/v1/setup, and each gets a session and an API token of its role.
import type { Role } from '../../src/domain/roles.ts';
import type { TestService } from './service.ts';

export interface TeamMember {
  username: string;
  password: string;
  role: Role;
  /** An API token of the member's role. */
  token: string;
  /** The session cookie (`ks_session=…`) and its CSRF token. */
  cookie: string;
  csrf: string;
}

export async function invite(
  svc: TestService,
  username: string,
  role: Role,
): Promise<{ url: string; token: string; id: string }> {
  const made = await svc.api('POST', '/api/v1/invitations', { username, role });
  if (made.status !== 201)
    throw new Error(`invitation not made: ${made.status} ${JSON.stringify(made.body)}`);
  const url = String(made.body.url);
  return { url, id: made.body.id, token: new URL(url).searchParams.get('token') ?? '' };
}

export async function addMember(svc: TestService, username: string, role: Role): Promise<TeamMember> {
  const { token: linkToken } = await invite(svc, username, role);
  const password = `pw-${username}-${Math.random().toString(36).slice(2)}`;
  const res = await fetch(`${svc.baseUrl}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: linkToken, password }),
  });
  if (res.status !== 200) throw new Error(`invitation not accepted: ${res.status} ${await res.text()}`);
  const csrf: string = (await res.json()).csrf_token;
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const made = await fetch(`${svc.baseUrl}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
    body: JSON.stringify({ name: `${username}-token` }),
  });
  if (made.status !== 201) throw new Error(`token not made: ${made.status} ${await made.text()}`);
  return { username, password, role, token: (await made.json()).token, cookie, csrf };
}
