// `npm run demo | tee log` and Ctrl-C: the terminal sends SIGINT to the demo and to tee at once, so the
// demo's last lines go to a closed pipe. Its temporary folder must still be removed, whenever the Ctrl-C
// comes (while it imports, or while it waits), and it must end without a stack trace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { PROJECT_ROOT } from './run-cli.ts';

function startDemo() {
  const child = spawn(
    process.execPath,
    ['bin/klaviyo-sync.js', 'demo', '--port', '0', '--customers', '30', '--orders', '20'],
    {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

const dataDirOf = (text: string) => /\(log: (.+)\/service\.log\)/.exec(text)?.[1];

test('Ctrl-C while the demo waits, with the reading end of its pipe gone (tee stopped too), removes its temporary folder', async () => {
  const demo = startDemo();
  await waitFor('the demo to be ready', async () => demo.out().includes('Press Ctrl-C'), 120_000);
  const dir = dataDirOf(demo.out());
  assert.ok(dir && existsSync(dir), demo.out());
  // tee is gone: nothing reads the demo's standard output any more.
  demo.child.stdout.destroy();
  demo.child.kill('SIGINT');
  const code = await demo.exited;
  assert.equal(existsSync(dir), false, `${dir} was left behind\n${demo.err()}`);
  assert.doesNotMatch(demo.err(), /EPIPE|\n\s+at /, demo.err());
  assert.ok(code === 0 || code === 130, `exit code ${code}\n${demo.err()}`);
});

test('Ctrl-C while the demo is still importing removes its temporary folder too', async () => {
  const demo = startDemo();
  const dir = await waitFor('the demo to name its folder', async () => dataDirOf(demo.out()), 120_000);
  demo.child.stdout.destroy();
  demo.child.kill('SIGINT');
  const code = await demo.exited;
  assert.equal(existsSync(dir), false, `${dir} was left behind\n${demo.err()}`);
  assert.doesNotMatch(demo.err(), /EPIPE|\n\s+at /, demo.err());
  assert.ok(code === 0 || code === 130, `exit code ${code}\n${demo.err()}`);
});
