// `klaviyo-sync sandbox`: runs the Klaviyo sandbox (docs/sandbox.md) in the foreground until Ctrl-C. It prints the
// sandbox's own throwaway credentials: they are what a developer pastes into the service's connection.
import { startSandbox } from '../../sandbox/index.ts';

export interface SandboxCommandOptions {
  port?: string;
  host?: string;
  apiKey?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  timeScale?: string;
  rateLimits?: boolean;
}

function portNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `--port must be a whole number from 0 to 65535 (0 or none: any free port), not '${value}'`,
    );
  }
  return port;
}

function timeScale(value: string | undefined): number {
  if (value === undefined) return 1;
  const scale = Number(value);
  // 0 would make every rate-limit window last no time at all; say so rather than quietly using 1.
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new Error(
      `--time-scale must be a number above 0 (e.g. 10 makes windows 10 times shorter), not '${value}'`,
    );
  }
  return scale;
}

/** The sandbox's start options from the command line; throws a message for a person on a bad value. */
export function sandboxStartOptions(options: SandboxCommandOptions) {
  return {
    port: portNumber(options.port) ?? 0,
    host: options.host,
    apiKey: options.apiKey,
    oauthClientId: options.oauthClientId,
    oauthClientSecret: options.oauthClientSecret,
    timeScale: timeScale(options.timeScale),
    rateLimits: options.rateLimits !== false,
  };
}

/** Why the sandbox did not start, in words that say what to do. */
export function describeStartFailure(error: unknown, port: number | undefined): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `port ${port} is in use; pass another --port, or leave --port out for any free port.`;
  }
  if (code === 'EADDRNOTAVAIL') return "the --host address is not one of this machine's addresses.";
  return (error as Error).message;
}

export async function runSandbox(options: SandboxCommandOptions): Promise<void> {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let start: ReturnType<typeof sandboxStartOptions> | undefined;
  try {
    start = sandboxStartOptions(options);
    sandbox = await startSandbox(start);
  } catch (err) {
    process.stderr.write(`sandbox: ${describeStartFailure(err, start?.port)}\n`);
    process.exit(1);
  }
  process.stdout.write(
    [
      `Klaviyo sandbox listening on ${sandbox.url}`,
      `  API key:             ${sandbox.apiKey}`,
      `  account id:          ${sandbox.accountId}`,
      `  OAuth client id:     ${sandbox.oauthClient.clientId}`,
      `  OAuth client secret: ${sandbox.oauthClient.clientSecret}`,
      `  authorize URL:       ${sandbox.url}/oauth/authorize`,
      `  rate limits:         ${options.rateLimits === false ? 'off' : `on (time scale ${start.timeScale})`}`,
      `  controls:            ${sandbox.url}/__sandbox/state`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
