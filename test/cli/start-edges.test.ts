// What a new user meets when `npm start` cannot go ahead: an old Node.js, a port already taken, and the
// log lines the service prints on a terminal. Each runs the real command in a child process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { PROJECT_ROOT, runCli } from './run-cli.ts';

const OLD_NODE = '/usr/bin/node';
const oldNodeVersion = existsSync(OLD_NODE)
  ? spawnSync(OLD_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim()
  : '';
const oldNodeMissing =
  !oldNodeVersion || Number(oldNodeVersion.slice(1).split('.')[0]) >= 24
    ? `no Node.js older than 24 at ${OLD_NODE}`
    : false;

const folders: string[] = [];
after(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-edges-'));
  folders.push(dir);
  return dir;
};

function runShell(command: string, env: Record<string, string>) {
  return spawnSync('sh', ['-c', command], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });
}

test('npm start on an old Node.js says it needs Node.js 24 and how to get it, with no stack trace', {
  skip: oldNodeMissing,
}, () => {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
  // The start script exactly as npm runs it, with the machine's own (old) node first on PATH.
  const run = runShell(pkg.scripts.start, {
    PATH: `/usr/bin:/bin`,
    HOME: process.env.HOME ?? '',
    KLAVIYO_SYNC_DATA_DIR: tempDir(),
  });
  const text = run.stdout + run.stderr;
  assert.notEqual(run.status, 0);
  assert.match(text, /klaviyo-sync needs Node\.js 24 or newer \(this is v20\./);
  assert.match(text, /nvm install 24|nodejs\.org/);
  assert.doesNotMatch(text, /ERR_UNKNOWN_FILE_EXTENSION|\n\s+at /);
  // The same words when the command itself is run with the old node.
  const bin = spawnSync(OLD_NODE, ['bin/klaviyo-sync.js', 'status'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.equal(bin.status, 1);
  assert.match(bin.stderr, /klaviyo-sync needs Node\.js 24 or newer/);
  assert.match(bin.stderr, /nvm install 24|nodejs\.org/);
});

test('start on a port in use names the port and how to choose another, with no stack trace', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const run = await runCli(['start'], {
      KLAVIYO_SYNC_DATA_DIR: tempDir(),
      KLAVIYO_SYNC_PORT: String(port),
      KLAVIYO_SYNC_HOST: '127.0.0.1',
      KLAVIYO_SYNC_ADMIN_PASSWORD: 'correct horse battery staple',
    });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, new RegExp(`port ${port} .*in use`));
    assert.match(run.stderr, /KLAVIYO_SYNC_PORT/);
    assert.match(run.stderr, /--port/);
    assert.doesNotMatch(run.stderr, /EADDRINUSE.*\n\s+at |\n\s+at /);
  } finally {
    blocker.close();
  }
});

test('start --port chooses the port', async () => {
  const child = spawn(process.execPath, ['bin/klaviyo-sync.js', 'start', '--port', '0'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      KLAVIYO_SYNC_DATA_DIR: tempDir(),
      KLAVIYO_SYNC_HOST: '127.0.0.1',
      KLAVIYO_SYNC_PORT: '1',
      KLAVIYO_SYNC_ADMIN_PASSWORD: 'correct horse battery staple',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const listening = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /listening[^\n]*?(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`exited: ${out}`)));
  });
  assert.notEqual(new URL(listening).port, '1');
  child.kill('SIGTERM');
  await new Promise((resolve) => child.on('exit', resolve));
});

test('on a terminal the service prints readable log lines; on a pipe, one JSON object a line', async () => {
  const dataDir = tempDir();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    KLAVIYO_SYNC_DATA_DIR: dataDir,
    KLAVIYO_SYNC_HOST: '127.0.0.1',
    KLAVIYO_SYNC_PORT: '0',
    KLAVIYO_SYNC_ADMIN_PASSWORD: 'correct horse battery staple',
  };
  // `script` gives the command a pseudo-terminal, as a person's shell would; it exits once it is killed.
  async function capture(tty: boolean): Promise<string> {
    const command = `exec ${process.execPath} bin/klaviyo-sync.js start`;
    const child = tty
      ? spawn('script', ['-qfec', command, '/dev/null'], {
          cwd: PROJECT_ROOT,
          env,
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, ['bin/klaviyo-sync.js', 'start'], {
          cwd: PROJECT_ROOT,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(m[1]);
        }
      }, 25);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error(`exited: ${out}`));
      });
    });
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    // The request's log line follows the answer.
    const until = Date.now() + 10_000;
    while (!/healthz/.test(out.slice(out.indexOf(url) + url.length)) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 25));
    if (tty) child.stdin!.write('\u0003');
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
    return out;
  }
  const onTerminal = await capture(true);
  const requestLine = onTerminal.split(/\r?\n/).find((l) => l.includes('/healthz'));
  assert.ok(requestLine, onTerminal);
  assert.doesNotMatch(requestLine, /^\s*\{/, 'a readable line on a terminal, not JSON');
  assert.match(requestLine, /GET \/healthz 200/);

  const onPipe = await capture(false);
  const jsonLines = onPipe.split('\n').filter((l) => l.startsWith('{'));
  assert.ok(jsonLines.length > 0, onPipe);
  for (const line of jsonLines) JSON.parse(line);
  assert.ok(
    jsonLines.some((l) => l.includes('/healthz')),
    onPipe,
  );
});
