// Finding a list by name must use a filter form the spec allows for Get Lists' `name` (read from the spec's
// own x-klaviyo-filters at run time: `name` takes `any` and `equals` with a list value only), with the name
// quoted so that quotes and backslashes inside it survive (JSON string rules, as Klaviyo's SDK quotes).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createKlaviyoClient, type KlaviyoClient } from '../../src/klaviyo/index.ts';
import { json, startServer } from './helpers.ts';
import { sharedFile } from './shared-spec.ts';

const spec = sharedFile('stable.json');

type FilterRules = Record<string, { operators: { single?: string[]; list?: string[] } }>;

/** `op(field,value)` where value is a JSON string, or a list of them. */
function parseOne(filter: string): { op: string; field: string; value: unknown; form: 'single' | 'list' } {
  const match = /^([a-z-]+)\(([A-Za-z_.]+),(.*)\)$/s.exec(filter);
  assert.ok(match, `one term: ${filter}`);
  const raw = match[3];
  const form = raw.startsWith('[') ? 'list' : 'single';
  return { op: match[1], field: match[2], value: JSON.parse(raw), form };
}

describe('lists.findByName', { skip: spec.skipReason }, () => {
  const doc = JSON.parse(spec.text ?? '{}');
  const rules = doc.paths['/api/lists'].get['x-klaviyo-filters'] as FilterRules;
  const names = ['VIP', 'O\'Brien "Gold" list', 'back\\slash, (commas) and [brackets]', 'Ünïcode — ✓'];
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: KlaviyoClient;
  before(async () => {
    server = await startServer((_req, res) =>
      // Klaviyo's match is its own business: answer a near miss first, then the exact one.
      json(res, 200, {
        data: [
          { type: 'list', id: 'NEAR', attributes: { name: `${names[1]} ` } },
          ...names.map((name, i) => ({ type: 'list', id: `L${i}`, attributes: { name } })),
        ],
        links: { self: '' },
      }),
    );
    client = createKlaviyoClient({
      baseUrl: server.baseUrl,
      auth: { kind: 'api_key', apiKey: 'pk_lists' },
      budgetKey: 'lists',
      budgets: false,
    });
  });
  after(() => server.close());

  for (const [i, name] of names.entries()) {
    test(`sends an allowed filter form for ${JSON.stringify(name)} and finds exactly it`, async () => {
      const before = server.requests.length;
      const found = await client.lists.findByName(name);
      assert.equal(found?.id, `L${i}`);
      const sent = new URL(server.requests[before].url, 'http://x').searchParams.get('filter') ?? '';
      const term = parseOne(sent);
      assert.equal(term.field, 'name');
      const allowed = rules.name.operators[term.form] ?? [];
      assert.ok(
        allowed.includes(term.op),
        `${term.op} with a ${term.form} value is not allowed for name (spec: ${JSON.stringify(rules.name)})`,
      );
      assert.deepEqual(term.form === 'list' ? term.value : [term.value], [name]);
    });
  }
});
