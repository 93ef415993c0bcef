import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizePhone, toCountryCode } from '../../src/flows/shared/phone.ts';

test('an international number is kept in E.164 whatever the countries say', () => {
  assert.deepEqual(normalizePhone('+1 (415) 555-2671', { recordCountry: 'DE' }), {
    ok: true,
    e164: '+14155552671',
    country: 'US',
  });
  assert.equal((normalizePhone('0044 20 7946 0958') as { e164: string }).e164, '+442079460958');
});

test("a local number uses the record's country before the subscription's default", () => {
  const result = normalizePhone('030 123456', { recordCountry: 'Germany', defaultCountry: 'US' });
  assert.equal(result.ok, true);
  assert.equal((result as { e164: string }).e164, '+4930123456');
});

test("a local number falls back to the subscription's default country", () => {
  const result = normalizePhone('(415) 555-2671', { recordCountry: undefined, defaultCountry: 'US' });
  assert.deepEqual(result, { ok: true, e164: '+14155552671', country: 'US' });
});

test('the default country is tried when the record country does not fit the number', () => {
  const result = normalizePhone('(415) 555-2671', { recordCountry: 'FR', defaultCountry: 'US' });
  assert.equal((result as { e164: string }).e164, '+14155552671');
});

test('a local number with no country at all is refused with the reason', () => {
  const result = normalizePhone('415 555 2671');
  assert.equal(result.ok, false);
  assert.match((result as { reason: string }).reason, /no country code/);
});

test('garbage and too-short numbers are refused, naming the number and country', () => {
  const garbage = normalizePhone('call me maybe', { defaultCountry: 'US' });
  assert.equal(garbage.ok, false);
  const short = normalizePhone('12345', { defaultCountry: 'US' });
  assert.equal(short.ok, false);
  assert.match((short as { reason: string }).reason, /'12345' is not a valid phone number for US/);
  assert.equal(normalizePhone('', { defaultCountry: 'US' }).ok, false);
  assert.equal(normalizePhone(null).ok, false);
});

test('countries are read from alpha-2, alpha-3 and English names', () => {
  assert.equal(toCountryCode('us'), 'US');
  assert.equal(toCountryCode('GBR'), 'GB');
  assert.equal(toCountryCode('United Kingdom'), 'GB');
  assert.equal(toCountryCode('united states'), 'US');
  assert.equal(toCountryCode('Atlantis'), undefined);
  assert.equal(toCountryCode(42), undefined);
});
