import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../src/domain/errors.ts';
import {
  fieldOfPointer,
  isContentRefusal,
  type KlaviyoErrorLike,
  outcomeForError,
  refusedIndexes,
} from '../../src/flows/shared/outcomes.ts';

function klaviyo(
  partial: Partial<KlaviyoErrorLike> & Pick<KlaviyoErrorLike, 'status' | 'kind'>,
): KlaviyoErrorLike {
  return { message: 'Klaviyo error', errors: [], ...partial };
}

test('429 and 5xx are retryable with codes that say so', () => {
  const limited = outcomeForError(klaviyo({ status: 429, kind: 'transient' }), 'creating the profile');
  assert.deepEqual(
    { status: limited.status, code: limited.code, retryable: (limited as { retryable: boolean }).retryable },
    { status: 'failed', code: 'KLAVIYO_RATE_LIMITED', retryable: true },
  );
  assert.match(limited.message, /rate limit.*creating the profile.*retried/);
  assert.equal(outcomeForError(klaviyo({ status: 503, kind: 'transient' }), 'x').code, 'KLAVIYO_UNAVAILABLE');
  assert.equal(outcomeForError(klaviyo({ status: 504, kind: 'transient' }), 'x').code, 'KLAVIYO_TIMEOUT');
  assert.equal(
    outcomeForError(klaviyo({ status: 0, kind: 'transient', code: 'network' }), 'x').code,
    'KLAVIYO_NETWORK_ERROR',
  );
});

test('auth failures pause the subscription instead of failing the record', () => {
  const revoked = outcomeForError(klaviyo({ status: 401, kind: 'auth' }), 'updating the profile');
  assert.equal(revoked.status, 'paused');
  assert.equal(revoked.code, 'AUTH_INVALID_KEY');
  assert.match(revoked.message, /Authenticate/);
  const scope = outcomeForError(
    klaviyo({ status: 403, kind: 'auth', errors: [{ detail: 'missing scope events:write' }] }),
    'x',
  );
  assert.equal(scope.status, 'paused');
  assert.equal(scope.code, 'AUTH_FORBIDDEN_SCOPE');
  assert.match(scope.message, /events:write/);
  const appRevoked = outcomeForError(new AppError('AUTH_REVOKED', 'Klaviyo access was removed'), 'x');
  assert.equal(appRevoked.status, 'paused');
});

test('a refused phone or email names the fault and the fix, and is not retried', () => {
  const phone = outcomeForError(
    klaviyo({
      status: 400,
      kind: 'invalid',
      errors: [
        { detail: 'Invalid phone number format', source: { pointer: '/data/attributes/phone_number' } },
      ],
    }),
    'creating the profile',
  );
  assert.equal(phone.code, 'KLAVIYO_PHONE_INVALID');
  assert.equal((phone as { retryable: boolean }).retryable, false);
  assert.match(phone.message, /Invalid phone number format.*default phone country/);
  const email = outcomeForError(
    klaviyo({
      status: 400,
      kind: 'invalid',
      errors: [{ detail: 'Invalid email address', source: { pointer: '/data/attributes/email' } }],
    }),
    'x',
  );
  assert.equal(email.code, 'KLAVIYO_EMAIL_INVALID');
  const other = outcomeForError(
    klaviyo({
      status: 400,
      kind: 'invalid',
      errors: [{ detail: 'must be a number', source: { pointer: '/data/attributes/value' } }],
    }),
    'sending the Placed Order event',
  );
  assert.equal(other.code, 'KLAVIYO_INVALID_INPUT');
  assert.match(other.message, /field 'value'.*must be a number/);
});

test('duplicate profiles, missing records and oversized payloads get their own codes', () => {
  assert.equal(
    outcomeForError(
      klaviyo({ status: 409, kind: 'conflict', code: 'duplicate_profile', duplicateProfileId: '01ABC' }),
      'x',
    ).message.includes('01ABC'),
    true,
  );
  assert.equal(outcomeForError(klaviyo({ status: 404, kind: 'not_found' }), 'x').code, 'KLAVIYO_NOT_FOUND');
  assert.equal(
    outcomeForError(klaviyo({ status: 413, kind: 'invalid' }), 'x').code,
    'KLAVIYO_PAYLOAD_TOO_LARGE',
  );
});

test('errors that are not Klaviyo answers stay retryable and readable', () => {
  const outcome = outcomeForError(new Error('socket hang up'), 'polling profiles');
  assert.equal(outcome.code, 'INTERNAL_ERROR');
  assert.match(outcome.message, /socket hang up/);
  const mapping = outcomeForError(new AppError('MAPPING_REQUIRED_FIELD_MISSING', 'email is required'), 'x');
  assert.deepEqual(mapping, {
    status: 'failed',
    code: 'MAPPING_REQUIRED_FIELD_MISSING',
    message: 'email is required',
    retryable: false,
  });
});

test('bulk refusals are located by their pointers when Klaviyo names the position', () => {
  const error = klaviyo({
    status: 400,
    kind: 'invalid',
    errors: [
      { source: { pointer: '/data/attributes/profiles/data/3/attributes/email' } },
      { source: { pointer: '/data/attributes/profiles/data/17/attributes/phone_number' } },
    ],
  });
  assert.deepEqual(refusedIndexes(error, 'profiles'), [3, 17]);
  assert.equal(
    refusedIndexes(klaviyo({ status: 400, kind: 'invalid', errors: [{}] }), 'profiles'),
    undefined,
  );
  assert.equal(refusedIndexes(new Error('x'), 'profiles'), undefined);
  assert.equal(fieldOfPointer('/data/attributes/profiles/data/3/attributes/phone_number'), 'phone_number');
  assert.equal(isContentRefusal(error), true);
  assert.equal(isContentRefusal(klaviyo({ status: 429, kind: 'transient' })), false);
});
