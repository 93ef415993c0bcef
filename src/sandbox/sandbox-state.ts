// The whole sandbox world: accounts and their keys, OAuth apps/installs/tokens, request counters, faults and
// the job runner that moves asynchronous jobs through queued → processing → complete.
import { type Account, clearAccount, type Job, newAccount, secret, shortId } from './state.ts';

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  name: string;
}

export interface AppInstall {
  clientId: string;
  accountId: string;
  scopes: string[];
  /** bumped when the install is removed or re-created, so older tokens stop working */
  generation: number;
}

export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  codeChallenge: string;
  accountId: string;
  expiresAt: number;
}

export interface AuthorizationCode {
  clientId: string;
  accountId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  expiresAt: number;
}

export interface IssuedToken {
  clientId: string;
  accountId: string;
  scopes: string[];
  generation: number;
  expiresAt: number;
}

export interface Fault {
  operation?: string;
  errorRate: number;
  status: number;
  latencyMs: number;
  /** Held after the work is done, before the answer goes out (a write that lands after the client's timeout). */
  answerDelayMs?: number;
  storm429Until: number;
}

export interface OperationCount {
  count: number;
  rateLimited: number;
}

export class SandboxState {
  readonly accounts = new Map<string, Account>();
  readonly apiKeys = new Map<string, string>();
  readonly apps = new Map<string, OAuthApp>();
  readonly installs = new Map<string, AppInstall>();
  readonly pendingAuthorizations = new Map<string, PendingAuthorization>();
  readonly codes = new Map<string, AuthorizationCode>();
  readonly accessTokens = new Map<string, IssuedToken>();
  readonly refreshTokens = new Map<string, IssuedToken>();
  readonly requestCounts = new Map<string, OperationCount>();
  faults: Fault[] = [];
  defaultAccountId = '';
  readonly now: () => number;

  private readonly queue: Array<{ account: Account; job: Job }> = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];
  private installGeneration = 0;

  constructor(now: () => number) {
    this.now = now;
  }

  createAccount(name: string, apiKey?: string): { accountId: string; apiKey: string } {
    const accountId = shortId(6);
    const key = apiKey ?? secret('pk_sandbox_', 18);
    this.accounts.set(accountId, newAccount(accountId, name));
    this.apiKeys.set(key, accountId);
    if (!this.defaultAccountId) this.defaultAccountId = accountId;
    return { accountId, apiKey: key };
  }

  /** A new private key for an existing account. */
  addApiKey(accountId: string): string {
    const key = secret('pk_sandbox_', 18);
    this.apiKeys.set(key, accountId);
    return key;
  }

  /** The account by id, or the default account. */
  account(accountId?: string): Account {
    const account = this.accounts.get(accountId ?? this.defaultAccountId);
    if (!account) throw new Error(`no sandbox account ${accountId}`);
    return account;
  }

  registerApp(clientId: string, clientSecret: string, name: string): OAuthApp {
    const app = { clientId, clientSecret, name };
    this.apps.set(clientId, app);
    return app;
  }

  install(clientId: string, accountId: string, scopes: string[]): AppInstall {
    const install = { clientId, accountId, scopes, generation: ++this.installGeneration };
    this.installs.set(`${clientId} ${accountId}`, install);
    return install;
  }

  findInstall(clientId: string, accountId: string): AppInstall | undefined {
    return this.installs.get(`${clientId} ${accountId}`);
  }

  /** Removes an app install as a Klaviyo user uninstalling the app would; its tokens stop working. */
  removeInstall(clientId: string, accountId: string): boolean {
    const removed = this.installs.delete(`${clientId} ${accountId}`);
    for (const tokens of [this.accessTokens, this.refreshTokens]) {
      for (const [token, issued] of tokens) {
        if (issued.clientId === clientId && issued.accountId === accountId) tokens.delete(token);
      }
    }
    return removed;
  }

  /** A token is live while its install exists with the generation it was issued under. */
  tokenIsLive(token: IssuedToken): boolean {
    return this.findInstall(token.clientId, token.accountId)?.generation === token.generation;
  }

  countRequest(operationId: string, rateLimited: boolean): void {
    let entry = this.requestCounts.get(operationId);
    if (!entry) {
      entry = { count: 0, rateLimited: 0 };
      this.requestCounts.set(operationId, entry);
    }
    entry.count++;
    if (rateLimited) entry.rateLimited++;
  }

  /** Clears all data, counters and faults; accounts, keys, apps and installs stay so clients stay connected. */
  reset(): void {
    for (const account of this.accounts.values()) clearAccount(account);
    this.requestCounts.clear();
    this.faults = [];
    this.queue.length = 0;
  }

  enqueue(account: Account, job: Job): void {
    account.jobs.set(job.id, job);
    this.queue.push({ account, job });
    if (!this.running) {
      this.running = true;
      setImmediate(() => this.runJobs());
    }
  }

  /** Resolves once every queued job has completed (for tests and the demo). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private runJobs(): void {
    const entry = this.queue[0];
    if (!entry) {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
      return;
    }
    const { job } = entry;
    if (job.status === 'queued') {
      // One tick in `processing` before any work, so a poll can observe each stage.
      job.status = 'processing';
      job.startedAt = this.now();
    } else if (job.step(job)) {
      job.status = 'complete';
      job.completedAt = this.now();
      this.queue.shift();
    }
    setImmediate(() => this.runJobs());
  }

  jobsInFlight(account: Account, typePrefix: string): number {
    let count = 0;
    for (const { account: owner, job } of this.queue) {
      if (owner === account && job.type.startsWith(typePrefix)) count++;
    }
    return count;
  }
}
