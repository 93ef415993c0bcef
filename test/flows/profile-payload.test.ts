import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  prepareProfileAttributes,
  recordCountry,
} from '../../src/flows/customer-to-profile/profile-payload.ts';

test('a local phone is made E.164 with the primary billing address country', () => {
  const record = {
    addresses: [
      { country: 'FR', is_primary_billing: false },
      { country: 'GB', is_primary_billing: true },
    ],
  };
  const prepared = prepareProfileAttributes(
    { email: ' ann@example.com ', phone_number: '020 7946 0958' },
    { record, defaultCountry: 'US' },
  );
  assert.equal(prepared.ok, true);
  if (!prepared.ok) return;
  assert.equal(prepared.attributes.phone_number, '+442079460958');
  assert.equal(prepared.attributes.email, 'ann@example.com');
  assert.deepEqual(prepared.warnings, []);
});

test('an invalid phone is dropped with a warning and the profile still goes on its email', () => {
  const prepared = prepareProfileAttributes(
    { email: 'ann@example.com', phone_number: '12', first_name: 'Ann' },
    { defaultCountry: 'US' },
  );
  assert.equal(prepared.ok, true);
  if (!prepared.ok) return;
  assert.equal('phone_number' in prepared.attributes, false);
  assert.equal(prepared.attributes.first_name, 'Ann');
  assert.match(prepared.warnings[0], /Phone number dropped: '12' is not a valid phone number/);
});

test('with no usable identifier a new profile fails with what to fix; a linked one may still update', () => {
  const unlinked = prepareProfileAttributes({ email: '', phone_number: 'n/a', first_name: 'Ann' }, {});
  assert.equal(unlinked.ok, false);
  if (unlinked.ok) return;
  assert.equal(unlinked.code, 'MAPPING_REQUIRED_FIELD_MISSING');
  assert.match(unlinked.message, /email address.*phone number could not be used/);
  const linked = prepareProfileAttributes({ first_name: 'Ann' }, { linkedProfileId: '01P' });
  assert.equal(linked.ok, true);
});

test('a profile over 100 KB is refused before it costs a call', () => {
  const prepared = prepareProfileAttributes(
    { email: 'ann@example.com', properties: { notes: 'x'.repeat(110 * 1024) } },
    {},
  );
  assert.equal(prepared.ok, false);
  if (prepared.ok) return;
  assert.equal(prepared.code, 'KLAVIYO_PAYLOAD_TOO_LARGE');
});

test("the payload's own location country wins over the record's addresses", () => {
  assert.equal(recordCountry({ location: { country: 'DE' } }, { addresses: [{ country: 'US' }] }), 'DE');
  assert.equal(recordCountry({}, { addresses: [{ country: 'US' }] }), 'US');
  assert.equal(recordCountry({}, {}), undefined);
});
