// `klaviyo-sync sandbox`: runs the Klaviyo sandbox (S11) in the foreground until Ctrl-C. It prints the
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

function positiveNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new Error(`${name} must be a non-negative number`);
  return number;
}

export async function runSandbox(options: SandboxCommandOptions): Promise<void> {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox({
      port: positiveNumber(options.port, '--port') ?? 0,
      host: options.host,
      apiKey: options.apiKey,
      oauthClientId: options.oauthClientId,
      oauthClientSecret: options.oauthClientSecret,
      timeScale: positiveNumber(options.timeScale, '--time-scale') || 1,
      rateLimits: options.rateLimits !== false,
    });
  } catch (err) {
    process.stderr.write(`sandbox: ${(err as Error).message}\n`);
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
      `  rate limits:         ${options.rateLimits === false ? 'off' : `on (time scale ${options.timeScale ?? 1})`}`,
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
