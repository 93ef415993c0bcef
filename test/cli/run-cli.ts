// Runs the real `klaviyo-sync` command in a child process, with Node 24 (the running one) and a clean
// environment, and collects what it prints.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasExchangeObservers } from '../../src/sandbox/observer.ts';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(PROJECT_ROOT, 'bin/klaviyo-sync.js');

/**
 * `demo` and `sandbox` start a sandbox in the child: the contract gate (docs/contract-gate.md) watches it
 * there too when it watches this process, and reads Klaviyo's description from where this process does.
 */
function gateEnv(args: string[]): Record<string, string> {
  if (!hasExchangeObservers() || (args[0] !== 'demo' && args[0] !== 'sandbox')) return {};
  const extra: Record<string, string> = {
    NODE_OPTIONS: `--import=${path.join(PROJECT_ROOT, 'test/contract-gate/preload.ts')}`,
    CONTRACT_GATE_PARENT_FILE: path.relative(PROJECT_ROOT, process.argv[1] ?? 'unknown'),
  };
  for (const name of ['CI', 'KLAVIYO_OPENAPI_DIR', 'CONTRACT_GATE_RECORDS_DIR']) {
    const value = process.env[name];
    if (value !== undefined) extra[name] = value;
  }
  return extra;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: PROJECT_ROOT,
      // Only what the command needs: no variable of the test runner's own service leaks in.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...gateEnv(args), ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`klaviyo-sync ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
