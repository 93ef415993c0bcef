import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './run-cli.ts';

const COMMANDS = ['start', 'worker', 'sandbox', 'demo', 'import', 'sync', 'status', 'migrate'];

test('the command list names every command (docs/operations.md, "From the shell")', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const command of COMMANDS) assert.match(help.stdout, new RegExp(`^ {2}${command}\\b`, 'm'), command);
});

test('every command answers --help with its usage and description', async () => {
  const answers = await Promise.all(COMMANDS.map((command) => runCli([command, '--help'])));
  answers.forEach((answer, i) => {
    assert.equal(answer.code, 0, `${COMMANDS[i]}: ${answer.stderr}`);
    assert.match(answer.stdout, new RegExp(`^Usage: klaviyo-sync ${COMMANDS[i]}\\b`), COMMANDS[i]);
    assert.ok(answer.stdout.split('\n').length > 3, COMMANDS[i]);
  });
});
