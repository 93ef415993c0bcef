// The demo, headless: the whole service and the sandbox in this process, the generated data through the
// real API, flows and workers, until the queue drains. Then the sandbox's account and the transfer log
// are read to check that what the demo promises is what happened.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type DemoHandle, runDemo } from '../../src/cli/run-demo.ts';
import { NEWSLETTER_LIST } from '../../src/demo/sample-data.ts';

let demo: DemoHandle;
const printed: string[] = [];

before(async () => {
  const progress: string[] = [];
  demo = await runDemo({
    port: 0,
    out: (line) => printed.push(line),
    progressStream: { isTTY: false, write: (chunk: string) => progress.push(chunk) },
    env: {},
    pollMs: 100,
    drainTimeoutMs: 120_000,
  });
});
after(() => demo?.close());

async function api(path: string) {
  const response = await fetch(`${demo.baseUrl}${path}`, {
    headers: { authorization: `Bearer ${demo.apiToken}` },
  });
  assert.equal(response.status, 200, path);
  return response.json();
}

test('the demo drains and says so, with the numbers', async () => {
  assert.equal(demo.drain.drained, true, JSON.stringify(demo.drain));
  assert.equal(demo.drain.states.queued + demo.drain.states.running, 0);
  // One transfer to Klaviyo per customer and per order (product flows are off by default). The profile
  // poll may also have read the new profiles back by then (TO hub); those are not counted here.
  const toKlaviyo = await demo.service.ctx.store.db
    .selectFrom('transfers')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('direction', '=', 'from_hub')
    .groupBy('state')
    .execute();
  assert.deepEqual(Object.fromEntries(toKlaviyo.map((r) => [r.state, Number(r.n)])), {
    succeeded: 2990,
    failed: 10,
  });
  const text = printed.join('\n');
  assert.match(text, /Subscription 'Demo store \(sandbox\)': connected to Klaviyo account 'Sandbox Store'/);
  assert.match(text, /All transfers finished in \d+\.\d s after the first import\./);
  assert.match(text, /The sandbox account now holds 990 profiles/);
});

test('the sandbox holds a profile for every customer with an email, phones in E.164, and the consent fields applied', () => {
  const account = demo.sandbox.state.account(demo.sandbox.accountId);
  const withEmail = demo.data.customers.filter((c) => c.email_address !== null);
  assert.equal(account.profiles.size, withEmail.length);
  const broken = new Set(demo.data.invalidPhones.map((p) => p.customer_id));
  for (const customer of withEmail) {
    const profile = account.profiles.find('email', customer.email_address!);
    assert.ok(profile, `no profile for ${customer.id}`);
    assert.equal(profile.first_name, customer.first_name);
    assert.equal(profile.last_name, customer.last_name);
    const phone = customer.addresses[0].phone_number;
    if (broken.has(customer.id) || phone === null) assert.equal(profile.phone_number, undefined, customer.id);
    else if (phone.startsWith('+')) assert.equal(profile.phone_number, phone, customer.id);
    // National numbers are made E.164 with the address's country.
    else assert.match(profile.phone_number ?? '', /^\+[1-9]\d{6,14}$/, customer.id);
    assert.equal(profile.location?.city, customer.addresses[0].city);
    const tier = customer.custom_fields.find((f) => f.custom_field_name === 'Loyalty Tier')?.value;
    assert.equal(profile.properties?.['Loyalty Tier'], tier, customer.id);
  }
  const newsletter = [...account.lists.values()].find((l) => l.name === NEWSLETTER_LIST);
  assert.ok(newsletter);
  const wanted = withEmail.filter((c) =>
    c.custom_fields.some((f) => f.custom_field_name === `LIST_${NEWSLETTER_LIST}` && f.value === 'true'),
  );
  assert.equal(newsletter.members.size, wanted.length);
  // Consent: SubscribeProfile=true subscribes, false unsubscribes, and LIST_Newsletter=true without a
  // SubscribeProfile subscribes through the list.
  const field = (c: (typeof withEmail)[number], name: string) =>
    c.custom_fields.find((f) => f.custom_field_name === name)?.value;
  const subscribed = withEmail.filter(
    (c) =>
      field(c, 'SubscribeProfile') === 'true' ||
      (field(c, 'SubscribeProfile') === undefined && field(c, `LIST_${NEWSLETTER_LIST}`) === 'true'),
  );
  const unsubscribed = withEmail.filter((c) => field(c, 'SubscribeProfile') === 'false');
  const consentOf = (c: (typeof withEmail)[number]) =>
    account.profiles.find('email', c.email_address!)?.consents?.emailMarketing?.consent;
  for (const c of subscribed) assert.equal(consentOf(c), 'SUBSCRIBED', c.id);
  for (const c of unsubscribed) assert.equal(consentOf(c), 'UNSUBSCRIBED', c.id);
  assert.match(
    printed.join('\n'),
    new RegExp(`Email marketing: ${subscribed.length} subscribed, ${unsubscribed.length} unsubscribed`),
  );
});

test('the sandbox holds a Placed Order per order and an Ordered Product per line, once each', () => {
  const account = demo.sandbox.state.account(demo.sandbox.accountId);
  const metricName = new Map([...account.metrics.values()].map((m) => [m.id, m.name]));
  const placed = account.events.filter((e) => metricName.get(e.metricId) === 'Placed Order');
  const ordered = account.events.filter((e) => metricName.get(e.metricId) === 'Ordered Product');
  assert.equal(placed.length, demo.data.transactions.length);
  assert.deepEqual(new Set(placed.map((e) => e.uniqueId)), new Set(demo.data.transactions.map((t) => t.id)));
  const lines = demo.data.transactions.reduce((sum, t) => sum + t.lines.length, 0);
  assert.equal(ordered.length, lines);
  const first = demo.data.transactions[0];
  const event = placed.find((e) => e.uniqueId === first.id)!;
  assert.equal(event.value, first.total);
  assert.equal(event.valueCurrency, first.currency);
  assert.equal(account.events.length, placed.length + ordered.length);
});

test('the transfer log shows the broken phones: failures when the phone was the only identifier, warnings otherwise', async () => {
  const failed = await api(`/api/v1/transfers?subscription=${demo.subscriptionId}&state=failed&limit=500`);
  const failedIds = new Set(failed.data.map((t: { record_id: string }) => t.record_id));
  const onlyIdentifier = demo.data.invalidPhones.filter((p) => !p.has_email);
  assert.deepEqual(failedIds, new Set(onlyIdentifier.map((p) => p.customer_id)));
  for (const t of failed.data) assert.equal(t.error_code, 'MAPPING_REQUIRED_FIELD_MISSING');

  for (const broken of [onlyIdentifier[0], demo.data.invalidPhones.find((p) => p.has_email)!]) {
    const page = await api(
      `/api/v1/transfers?subscription=${demo.subscriptionId}&record=${broken.customer_id}`,
    );
    assert.equal(page.data.length, 1);
    assert.equal(page.data[0].state, broken.has_email ? 'succeeded' : 'failed');
    const detail = await api(`/api/v1/transfers/${page.data[0].id}`);
    const warning = detail.steps.find((s: { level: string }) => s.level === 'warn');
    assert.ok(warning, `no warning step for ${broken.customer_id}`);
    assert.ok(warning.message.includes(broken.phone_number), warning.message);
  }
});
