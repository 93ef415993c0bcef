import { setTimeout as delay } from 'node:timers/promises';
import { Agent, type Dispatcher, request } from 'undici';
import {
  type BudgetWindow,
  MemoryRateBudgetStore,
  processBudgetStore,
  type RateBudgetStore,
  Semaphore,
  SlidingWindowLog,
  windowsFor,
} from './budgets.ts';
import { type EndpointSpec, endpoint, tierKey } from './endpoints.ts';
import { errorFromFailure, errorFromResponse, KlaviyoError } from './errors.ts';
import type {
  CallInput,
  ExchangeSummary,
  KlaviyoAuth,
  KlaviyoClientOptions,
  KlaviyoClientStats,
  KlaviyoResponse,
  QueryValue,
  TierStats,
} from './options.ts';
import { redactBody, redactHeaders, redactUrl } from './redact.ts';
import {
  DEFAULT_RETRY_POLICY,
  decideRetry,
  headerValue,
  parseRetryAfter,
  type RetryPolicy,
} from './retry.ts';

import { DEFAULT_REVISION } from './revisions.ts';

export { DEFAULT_REVISION } from './revisions.ts';
const JSON_API = 'application/vnd.api+json';

export type {
  CallInput,
  ExchangeSummary,
  KlaviyoAuth,
  KlaviyoClientOptions,
  KlaviyoClientStats,
  KlaviyoResponse,
  QueryValue,
  TierStats,
  TokenProvider,
} from './options.ts';

interface Route {
  spec: EndpointSpec;
  bucket: string;
  windows: BudgetWindow[];
}

const agents = new Map<string, Agent>();

/** One keep-alive agent per timeout pair, shared by all clients: sockets are reused across subscriptions. */
function sharedAgent(connectMs: number, readMs: number): Agent {
  const key = `${connectMs}:${readMs}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      keepAliveTimeout: 30_000,
      connect: { timeout: connectMs },
      headersTimeout: readMs,
      bodyTimeout: readMs,
    });
    agents.set(key, agent);
  }
  return agent;
}

/** The only place that talks HTTP to Klaviyo: auth, revision, budgets, retries and logging happen here. */
export class KlaviyoTransport {
  private readonly origin: string;
  private readonly revision: string;
  private readonly auth: KlaviyoAuth;
  private readonly store: RateBudgetStore | undefined;
  private readonly marginMs: number;
  private readonly throttle: { limit: number; windowMs: number; log: SlidingWindowLog } | undefined;
  private readonly semaphore: Semaphore;
  private readonly policy: RetryPolicy;
  private readonly dispatcher: Dispatcher;
  private readonly onExchange?: (e: ExchangeSummary) => void;
  private readonly wantsExchange?: () => boolean;
  private readonly beforeSend?: () => Promise<void> | void;
  private readonly routes = new Map<string, Route>();
  private readonly budgetKey: string;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly counters = { calls: 0, rateLimited: 0, retries: 0, failures: 0, tokenRefreshes: 0 };

  constructor(options: KlaviyoClientOptions) {
    const base = new URL(options.baseUrl);
    this.origin = base.origin + base.pathname.replace(/\/+$/, '');
    this.revision = options.revision ?? DEFAULT_REVISION;
    this.auth = options.auth;
    this.budgetKey = options.budgetKey;
    this.store = options.budgets === false ? undefined : (options.budgets ?? processBudgetStore());
    this.marginMs = options.budgetMarginMs ?? 50;
    this.throttle =
      options.throttle && options.throttle.limit > 0
        ? {
            limit: options.throttle.limit,
            windowMs: options.throttle.seconds * 1000,
            log: new SlidingWindowLog(),
          }
        : undefined;
    this.semaphore = new Semaphore(options.concurrency ?? 10);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.dispatcher =
      options.dispatcher ??
      sharedAgent(options.timeouts?.connectMs ?? 10_000, options.timeouts?.readMs ?? 60_000);
    this.onExchange = options.onExchange;
    this.wantsExchange = options.wantsExchange;
    this.beforeSend = options.beforeSend;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.random = options.random ?? Math.random;
  }

  /** Calls one operation: spends its budget, retries transient failures, and parses the JSON:API answer. */
  async call<T = unknown>(operationId: string, input: CallInput = {}): Promise<KlaviyoResponse<T>> {
    const route = this.route(operationId);
    const url = input.url ? this.sameOriginUrl(input.url) : this.buildUrl(route.spec, input);
    const payload = input.body === undefined ? undefined : JSON.stringify(input.body);
    if (payload && route.spec.maxPayloadBytes && Buffer.byteLength(payload) > route.spec.maxPayloadBytes) {
      throw new KlaviyoError({
        status: 413,
        code: 'KLAVIYO_PAYLOAD_TOO_LARGE',
        kind: 'invalid',
        message: `The ${operationId} body is ${Buffer.byteLength(payload)} bytes; Klaviyo accepts at most ${route.spec.maxPayloadBytes}`,
        operationId,
      });
    }
    let waitedMs = 0;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.send<T>(route, url, payload, input.body, attempt);
      if ('response' in outcome) return outcome.response;
      const { error, token } = outcome;
      if (error.code === 'AUTH_REVOKED' && this.auth.kind === 'oauth' && !refreshed && token) {
        // An access token can expire between the provider's check and Klaviyo's; one refresh settles it.
        // (Klaviyo may say so with a 401 or, by its error code, another status.)
        refreshed = true;
        this.counters.tokenRefreshes++;
        await this.auth.tokens.refreshAccessToken(token);
        continue;
      }
      const decision = decideRetry(error, attempt, waitedMs, this.policy, this.random);
      if (!decision.retry) {
        this.counters.failures++;
        throw error;
      }
      this.counters.retries++;
      waitedMs += decision.delayMs;
      await this.sleep(decision.delayMs);
    }
  }

  async stats(): Promise<KlaviyoClientStats> {
    const tiers: TierStats[] = [];
    if (this.store) {
      const now = this.now();
      const seen = new Set<string>();
      for (const route of this.routes.values()) {
        if (seen.has(route.bucket)) continue;
        seen.add(route.bucket);
        const usage = await this.store.usage(route.bucket, route.windows, now);
        tiers.push({
          tier: tierKey(route.spec.tier),
          windows: usage.windows,
          blockedUntil: usage.blockedUntil,
        });
      }
    }
    return { ...this.counters, inFlight: this.semaphore.inFlight, tiers };
  }

  private route(operationId: string): Route {
    let route = this.routes.get(operationId);
    if (!route) {
      const spec = endpoint(operationId);
      route = {
        spec,
        bucket: `${this.budgetKey}|${tierKey(spec.tier)}`,
        windows: windowsFor(spec.tier, this.marginMs),
      };
      this.routes.set(operationId, route);
    }
    return route;
  }

  private async send<T>(
    route: Route,
    url: string,
    payload: string | undefined,
    body: unknown,
    attempt: number,
  ): Promise<{ response: KlaviyoResponse<T> } | { error: KlaviyoError; token?: string }> {
    // Asked in the caller's async context, before any wait: a hook may decide by who is calling.
    const onExchange = this.onExchange && (this.wantsExchange?.() ?? true) ? this.onExchange : undefined;
    await this.acquireSlotAndBudget(route);
    let token: string | undefined;
    try {
      await this.beforeSend?.();
      token = this.auth.kind === 'oauth' ? await this.auth.tokens.getAccessToken() : this.auth.apiKey;
      const headers: Record<string, string> = {
        accept: JSON_API,
        revision: this.revision,
        authorization: this.auth.kind === 'oauth' ? `Bearer ${token}` : `Klaviyo-API-Key ${token}`,
      };
      if (payload !== undefined) headers['content-type'] = JSON_API;
      const started = onExchange ? performance.now() : 0;
      const method = route.spec.method;
      this.counters.calls++;
      let status = 0;
      let parsed: unknown;
      let error: KlaviyoError | undefined;
      try {
        const res = await request(url, { method, headers, body: payload, dispatcher: this.dispatcher });
        status = res.statusCode;
        const text = await res.body.text();
        parsed = text === '' ? undefined : parseJson(text);
        if (status >= 200 && status < 300) {
          if (this.store) await this.observe(route, res.headers);
        } else {
          error = await this.httpError(route, status, parsed, res.headers);
        }
      } catch (cause) {
        error = errorFromFailure(cause, route.spec.operationId);
      }
      if (onExchange) {
        onExchange({
          operationId: route.spec.operationId,
          method,
          url: redactUrl(url),
          status,
          durationMs: performance.now() - started,
          attempt,
          requestHeaders: redactHeaders(headers),
          requestBody: body === undefined ? undefined : redactBody(body),
          responseBody: redactBody(parsed),
          errorCode: error?.code,
        });
      }
      if (error) return { error, token };
      return { response: { status, body: parsed as T, operationId: route.spec.operationId } };
    } catch (cause) {
      // A token provider failure is not Klaviyo's; surface it as it is, after the slot is freed.
      if (cause instanceof KlaviyoError) return { error: cause, token };
      throw cause;
    } finally {
      this.semaphore.release();
    }
  }

  /**
   * Returns holding a concurrency slot with the throttle and the tier budget spent. A call that must wait for
   * its budget gives its slot back meanwhile, so a starved tier cannot stall the other tiers' calls; the
   * call is sent right after the spend, so grants and sends stay together.
   */
  private async acquireSlotAndBudget(route: Route): Promise<void> {
    for (;;) {
      const queued = this.semaphore.acquire();
      if (queued) await queued;
      let wait: number;
      try {
        wait = await this.trySpend(route);
      } catch (cause) {
        this.semaphore.release();
        throw cause;
      }
      if (wait === 0) return;
      this.semaphore.release();
      await this.sleep(wait);
    }
  }

  /** Spends one unit of the subscription throttle and of the tier budget, or nothing and says how long to wait. */
  private async trySpend(route: Route): Promise<number> {
    const now = this.now();
    let wait = 0;
    if (this.throttle) {
      wait = this.throttle.log.waitFor(now, this.throttle.windowMs, this.throttle.limit);
      if (wait === 0) this.throttle.log.add(now);
    }
    if (wait === 0 && this.store) {
      wait =
        this.store instanceof MemoryRateBudgetStore
          ? this.store.takeNow(route.bucket, route.windows, now)
          : await this.store.take(route.bucket, route.windows, now);
      if (wait > 0 && this.throttle) this.throttle.log.remove(now);
    }
    return wait;
  }

  private async httpError(
    route: Route,
    status: number,
    body: unknown,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<KlaviyoError> {
    const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'), this.now());
    if (status === 429) {
      this.counters.rateLimited++;
      // Klaviyo counts per tier: every call of this tier would meet the same 429, so the whole tier waits.
      if (this.store) await this.store.block(route.bucket, this.now() + (retryAfterMs ?? 1000));
    }
    const error = errorFromResponse({
      status,
      body,
      retryAfterMs,
      operationId: route.spec.operationId,
      authKind: this.auth.kind,
      revision: this.revision,
      scopes: { required: route.spec.scopes },
    });
    if (
      error.code !== 'AUTH_FORBIDDEN_SCOPE' ||
      this.auth.kind !== 'oauth' ||
      !this.auth.tokens.grantedScopes
    )
      return error;
    // With OAuth the granted scopes are known: name only the ones missing.
    const granted = await this.auth.tokens.grantedScopes().catch(() => undefined);
    return granted
      ? errorFromResponse({
          status,
          body,
          retryAfterMs,
          operationId: route.spec.operationId,
          authKind: this.auth.kind,
          revision: this.revision,
          scopes: { required: route.spec.scopes, granted },
        })
      : error;
  }

  private async observe(route: Route, headers: Record<string, string | string[] | undefined>): Promise<void> {
    const remaining = headerValue(headers, 'ratelimit-remaining');
    if (remaining === undefined) return;
    const limit = headerValue(headers, 'ratelimit-limit');
    const reset = headerValue(headers, 'ratelimit-reset');
    await this.store?.observe(
      route.bucket,
      route.windows,
      {
        remaining: toNumber(remaining),
        limit: toNumber(limit),
        resetMs: reset === undefined ? undefined : (toNumber(reset) ?? 0) * 1000,
      },
      this.now(),
    );
  }

  private buildUrl(spec: EndpointSpec, input: CallInput): string {
    const path = spec.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = input.pathParams?.[name];
      if (value === undefined || value === '')
        throw new Error(`${spec.operationId} needs path parameter ${name}`);
      return encodeURIComponent(value);
    });
    const query = encodeQuery(input.query);
    return `${this.origin}${path}${query ? `?${query}` : ''}`;
  }

  /** Follows a `next` link only on our own origin, so credentials never travel to a host we were not given. */
  private sameOriginUrl(link: string): string {
    const target = new URL(link, this.origin);
    const base = new URL(this.origin);
    if (target.origin === base.origin) return target.toString();
    return `${this.origin}${target.pathname}${target.search}`;
  }
}

function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return parts.join('&');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
