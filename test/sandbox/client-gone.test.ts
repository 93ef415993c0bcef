// Like Klaviyo, the sandbox finishes a request whose client gave up: the write lands even though nobody reads
// the answer. The `answerDelayMs` fault holds the answer of a finished write past the client's timeout.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { type Client, openSandbox, REVISION } from './helpers.ts';

let client: Client | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
});

const control = (method: string, path: string, body?: unknown) => client!.control(method, path, body);

/** Sends create_list and gives up after `timeoutMs`, as a client with a short read timeout does. */
async function createListGivingUp(name: string, timeoutMs: number): Promise<unknown> {
  try {
    await fetch(`${client!.sandbox.url}/api/lists`, {
      method: 'POST',
      headers: {
        authorization: `Klaviyo-API-Key ${client!.sandbox.apiKey}`,
        revision: REVISION,
        accept: 'application/vnd.api+json',
        'content-type': 'application/vnd.api+json',
      },
      body: JSON.stringify({ data: { type: 'list', attributes: { name } } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return undefined;
  } catch (error) {
    return error;
  }
}

const listsNamed = (name: string) =>
  [...client!.sandbox.state.account(client!.sandbox.accountId).lists.values()].filter(
    (list) => list.name === name,
  );

test('a write whose client went away during injected latency still lands', async () => {
  client = await openSandbox();
  assert.equal(
    (await control('POST', '/__sandbox/faults', { operation: 'create_list', latencyMs: 800 })).status,
    200,
  );
  const gaveUp = await createListGivingUp('Gone early', 100);
  assert.ok(gaveUp instanceof Error, 'the client timed out');
  await waitFor(
    'the list to be created without its client',
    async () => listsNamed('Gone early').length === 1,
  );
});

test('answerDelayMs holds the answer of a finished write: the client times out, the write is there', async () => {
  client = await openSandbox();
  assert.equal(
    (await control('POST', '/__sandbox/faults', { operation: 'create_list', answerDelayMs: 1500 })).status,
    200,
  );
  const gaveUp = await createListGivingUp('Answered late', 200);
  assert.ok(gaveUp instanceof Error, 'the client timed out');
  // The work is done before the held answer: the list exists while the answer is still being held.
  await waitFor('the list to exist', async () => listsNamed('Answered late').length === 1);
  // Other operations are not delayed, and a patient client gets the real answer.
  assert.equal((await client.call('GET', '/api/lists')).status, 200);
  const patient = await client.call('POST', '/api/lists', {
    data: { type: 'list', attributes: { name: 'Patient' } },
  });
  assert.equal(patient.status, 201);
  assert.equal(patient.body.data.attributes.name, 'Patient');
  assert.equal(listsNamed('Answered late').length, 1);

  for (const bad of [{ answerDelayMs: -1 }, { answerDelayMs: 'soon' }, { answerDelayMs: 10 * 60_000 + 1 }]) {
    assert.equal((await control('POST', '/__sandbox/faults', bad)).status, 400, JSON.stringify(bad));
  }
  assert.equal((await control('DELETE', '/__sandbox/faults')).status, 200);
});
