import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addDays,
  coalesce,
  countryCode,
  customField,
  formatDate,
  isEmpty,
  toE164,
  toIso,
  toUnix,
  truncate,
} from '../../src/mapping/helpers.ts';

describe('formula helpers (plain functions)', () => {
  test('isEmpty: missing, null, blank text, empty list and object are empty; 0 and false are not', () => {
    for (const v of [undefined, null, '', '   ', [], {}]) assert.equal(isEmpty(v), true, JSON.stringify(v));
    for (const v of [0, false, 'x', [0], { a: 1 }]) assert.equal(isEmpty(v), false, JSON.stringify(v));
  });

  test('coalesce: the first value that is not null, missing or blank', () => {
    assert.equal(coalesce(undefined, null, ' ', 'b', 'c'), 'b');
    assert.equal(coalesce(null, 0, 1), 0);
    assert.equal(coalesce(null, undefined), undefined);
  });

  test('truncate: cuts on characters (never inside an emoji) and passes null through', () => {
    assert.equal(truncate('abcdef', 3), 'abc');
    assert.equal(truncate('ab', 3), 'ab');
    assert.equal(truncate('a😀b', 2), 'a😀');
    assert.equal(truncate(12345, 2), '12');
    assert.equal(truncate(null, 2), null);
    assert.throws(() => truncate('abc', -1), /whole number/);
  });

  test('customField: exact name first, then case-insensitive; missing → undefined', () => {
    const record = {
      custom_fields: [
        { custom_field_name: 'tier', value: 'lower' },
        { custom_field_name: 'Tier', value: 'Gold' },
        { custom_field_name: 'Points', value: 120 },
      ],
    };
    assert.equal(customField(record, 'Tier'), 'Gold');
    assert.equal(customField(record, 'POINTS'), 120);
    assert.equal(customField(record, 'Nope'), undefined);
    assert.equal(customField({}, 'Tier'), undefined);
    assert.equal(customField(null, 'Tier'), undefined);
  });

  test('countryCode: alpha-2 codes, English names and common aliases', () => {
    assert.equal(countryCode('us'), 'US');
    assert.equal(countryCode('United States'), 'US');
    assert.equal(countryCode('Netherlands'), 'NL');
    assert.equal(countryCode('UK'), 'GB');
    assert.equal(countryCode('Atlantis'), undefined);
    assert.equal(countryCode(null), undefined);
  });

  test('toE164: uses the country, then the default country; invalid numbers warn and give null', () => {
    assert.deepEqual(toE164('(212) 555-0147', 'US'), { number: '+12125550147' });
    assert.deepEqual(toE164('06 12345678', 'Netherlands'), { number: '+31612345678' });
    assert.deepEqual(toE164('06 12345678', null, 'NL'), { number: '+31612345678' });
    assert.deepEqual(toE164('+44 20 7946 0958', null), { number: '+442079460958' });
    assert.deepEqual(toE164('', 'US'), { number: null });
    assert.deepEqual(toE164(null, 'US'), { number: null });
    const bad = toE164('12345', 'US');
    assert.equal(bad.number, null);
    assert.match(bad.warning ?? '', /'12345' is not a valid phone number for country US/);
    assert.match(toE164('2125550147', null).warning ?? '', /no default phone country/);
  });

  test('date helpers: ISO, unix seconds, adding days, formatting in UTC and a time zone', () => {
    assert.equal(toIso('2026-06-20T12:00:00+02:00'), '2026-06-20T10:00:00.000Z');
    assert.equal(toIso(0), '1970-01-01T00:00:00.000Z');
    assert.equal(toIso(null), undefined);
    assert.throws(() => toIso('not a date'), /'not a date' is not a date/);
    assert.equal(toUnix('2026-01-01T00:00:00Z'), 1767225600);
    assert.equal(addDays('2026-02-27T00:00:00Z', 2), '2026-03-01T00:00:00.000Z');
    assert.equal(
      formatDate('2026-06-20T10:05:09.042Z', 'yyyy-MM-dd HH:mm:ss.SSS'),
      '2026-06-20 10:05:09.042',
    );
    assert.equal(formatDate('2026-06-20T23:30:00Z', 'd/M/yy H:mm', 'Europe/Amsterdam'), '21/6/26 1:30');
    assert.equal(formatDate('2026-06-20T10:00:00Z', "dd 'at' HH"), '20 at 10');
    assert.throws(() => formatDate('2026-06-20T10:00:00Z', 'yyyy', 'Mars/Base'), /not a time zone/);
  });
});
