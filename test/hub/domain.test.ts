import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CustomerInput, HubId, hubFieldNames, TransactionInput } from '../../src/domain/hub.ts';

test('a customer in iPaaS.com snake_case validates and keeps its addresses', () => {
  const r = CustomerInput.parse({
    id: 'C-1',
    email_address: ' ada@example.com ',
    first_name: 'Ada',
    addresses: [{ city: 'London', country: 'GB', is_primary_billing: true }],
    custom_fields: [{ custom_field_name: 'SubscribeProfile', value: true }],
  });
  assert.equal(r.email_address, 'ada@example.com');
  assert.equal(r.addresses?.[0].city, 'London');
});

test('a bad email and a bad id are refused with the field named', () => {
  const bad = CustomerInput.safeParse({ email_address: 'not-an-email' });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0].path, ['email_address']);
  assert.equal(HubId.safeParse('a/b').success, false);
  assert.equal(CustomerInput.parse({ email_address: '' }).email_address, null);
});

test('a transaction needs ISO date-times and numeric amounts', () => {
  assert.equal(TransactionInput.safeParse({ created_datetime: 'yesterday' }).success, false);
  assert.equal(TransactionInput.safeParse({ total: '12.00' }).success, false);
  const ok = TransactionInput.parse({
    created_datetime: '2026-01-02T03:04:05Z',
    total: 12,
    lines: [{ sku: 'S', qty: 1 }],
  });
  assert.equal(ok.lines?.[0].sku, 'S');
});

test('the field list of a kind includes the hub bookkeeping fields', () => {
  const fields = hubFieldNames('customer');
  for (const f of ['id', 'email_address', 'addresses', 'version', 'updated_datetime'])
    assert.ok(fields.includes(f), f);
});
