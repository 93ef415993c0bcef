// The sandbox's own controls under /__sandbox/ (JSON, no authentication: the sandbox is a local test tool):
// state, request counts, reset, faults and removing an app install.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RateLimiter } from './ratelimit.ts';
import type { SandboxState } from './sandbox-state.ts';
import { readBody } from './server.ts';
import type { Account, Job, Profile } from './state.ts';

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

function consentsView(profile: Profile) {
  const out: Record<string, unknown> = {};
  for (const [channel, consent] of Object.entries(profile.consents ?? {})) {
    if (!consent) continue;
    out[channel] = {
      consent: consent.consent,
      timestamp: consent.timestamp,
      method: consent.method,
      historical_import: consent.historicalImport === true,
      consented_at: iso(consent.consentedAt),
    };
  }
  return out;
}

function profileView(profile: Profile) {
  return {
    id: profile.id,
    email: profile.email ?? null,
    phone_number: profile.phone_number ?? null,
    external_id: profile.external_id ?? null,
    first_name: profile.first_name ?? null,
    last_name: profile.last_name ?? null,
    properties: profile.properties ?? {},
    consents: consentsView(profile),
    created: iso(profile.created),
    updated: iso(profile.updated),
  };
}

function jobView(job: Job) {
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    total_count: job.totalCount,
    completed_count: job.completedCount,
    failed_count: job.failedCount,
    errors: job.errors,
  };
}

const DETAIL_LIMIT = 10_000;

function accountView(account: Account, include: Set<string>) {
  const view: Record<string, unknown> = {
    id: account.id,
    name: account.name,
    counts: {
      profiles: account.profiles.size,
      lists: account.lists.size,
      events: account.events.length,
      metrics: account.metrics.size,
      catalog_items: account.catalogItems.size,
      catalog_variants: account.catalogVariants.size,
      jobs: account.jobs.size,
    },
  };
  if (include.has('profiles')) {
    const profiles = [];
    for (const profile of account.profiles.all()) {
      if (profiles.length >= DETAIL_LIMIT) break;
      profiles.push(profileView(profile));
    }
    view.profiles = profiles;
  }
  if (include.has('lists')) {
    view.lists = [...account.lists.values()].map((list) => ({
      id: list.id,
      name: list.name,
      opt_in_process: list.optInProcess,
      member_ids: [...list.members.keys()],
    }));
  }
  if (include.has('events')) {
    view.events = account.events.slice(-DETAIL_LIMIT).map((event) => ({
      id: event.id,
      metric: account.metrics.get(event.metricId)?.name ?? null,
      metric_id: event.metricId,
      profile_id: event.profileId,
      time: iso(event.time),
      unique_id: event.uniqueId,
      value: event.value ?? null,
      properties: event.properties,
      backfill: event.backfill,
      triggers_flows: !event.backfill,
    }));
  }
  if (include.has('jobs')) view.jobs = [...account.jobs.values()].map(jobView);
  return view;
}

export function createControlsHandler(state: SandboxState, limiter: RateLimiter | undefined) {
  return async function handleControls(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname.replace(/\/$/, '')}`;
    if (req.method !== 'POST') req.resume();
    const raw = req.method === 'POST' ? await readBody(req, 1024 * 1024) : Buffer.alloc(0);
    let body: Record<string, unknown> = {};
    if (raw !== 'too-large' && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return json(res, 400, { error: 'the body must be JSON' });
      }
    }
    if (route === 'GET /__sandbox/state') {
      const include = new Set((url.searchParams.get('include') ?? '').split(',').filter(Boolean));
      const accountId = url.searchParams.get('account');
      if (accountId && !state.accounts.has(accountId)) return json(res, 404, { error: 'unknown account' });
      const accounts = accountId ? [state.account(accountId)] : [...state.accounts.values()];
      return json(res, 200, {
        default_account_id: state.defaultAccountId,
        accounts: accounts.map((account) => accountView(account, include)),
      });
    }
    if (route === 'GET /__sandbox/requests') {
      const operations: Record<string, { count: number; rate_limited: number }> = {};
      let total = 0;
      let rateLimited = 0;
      for (const [operationId, entry] of state.requestCounts) {
        operations[operationId] = { count: entry.count, rate_limited: entry.rateLimited };
        total += entry.count;
        rateLimited += entry.rateLimited;
      }
      return json(res, 200, { total, rate_limited: rateLimited, operations });
    }
    if (route === 'POST /__sandbox/reset') {
      state.reset();
      limiter?.clear();
      return json(res, 200, { reset: true });
    }
    if (route === 'POST /__sandbox/faults') {
      const {
        operation,
        errorRate = 0,
        status = 500,
        latencyMs = 0,
        storm429,
      } = body as Record<string, unknown>;
      const stormMs =
        typeof storm429 === 'object' && storm429 !== null
          ? Number((storm429 as { durationMs?: unknown }).durationMs)
          : 0;
      const valid =
        (operation === undefined || typeof operation === 'string') &&
        typeof errorRate === 'number' &&
        errorRate >= 0 &&
        errorRate <= 1 &&
        typeof status === 'number' &&
        status >= 400 &&
        status <= 599 &&
        typeof latencyMs === 'number' &&
        latencyMs >= 0 &&
        Number.isFinite(stormMs) &&
        stormMs >= 0;
      if (!valid)
        return json(res, 400, {
          error:
            'expected {operation?, errorRate? (0..1), status? (400..599), latencyMs?, storm429?: {durationMs}}',
        });
      const fault = {
        operation: operation as string | undefined,
        errorRate,
        status,
        latencyMs,
        storm429Until: stormMs > 0 ? state.now() + stormMs : 0,
      };
      state.faults.push(fault);
      return json(res, 200, { faults: state.faults.length });
    }
    if (route === 'DELETE /__sandbox/faults') {
      state.faults = [];
      return json(res, 200, { faults: 0 });
    }
    if (route === 'POST /__sandbox/apps/remove') {
      const clientId = body.clientId;
      const accountId = typeof body.accountId === 'string' ? body.accountId : state.defaultAccountId;
      if (typeof clientId !== 'string' || !state.apps.has(clientId))
        return json(res, 404, { error: 'unknown clientId' });
      const removed = state.removeInstall(clientId, accountId);
      return json(
        res,
        removed ? 200 : 404,
        removed ? { removed: true } : { error: 'the app is not installed on that account' },
      );
    }
    json(res, 404, { error: 'unknown sandbox control' });
  };
}
