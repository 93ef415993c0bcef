import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CustomFieldAction } from '../../src/domain/collections.ts';
import {
  isEmptyPlan,
  listsOfPlan,
  planProfileActions,
} from '../../src/flows/customer-to-profile/profile-actions.ts';

const subscribe = (value: boolean): CustomFieldAction => ({
  kind: 'subscribe_profile',
  field: 'SubscribeProfile',
  subscribe: value,
});
const list = (name: string, value: boolean): CustomFieldAction => ({
  kind: 'list_subscription',
  field: `LIST_${name}`,
  list: name,
  subscribe: value,
});
const uclist = (name: string, value: boolean): CustomFieldAction => ({
  kind: 'list_membership',
  field: `UCLIST_${name}`,
  list: name,
  member: value,
});

test('SubscribeProfile true/false maps to subscribe and unsubscribe; no action is no change', () => {
  assert.equal(planProfileActions([subscribe(true)]).emailMarketing, 'subscribe');
  assert.equal(planProfileActions([subscribe(false)]).emailMarketing, 'unsubscribe');
  const none = planProfileActions([]);
  assert.equal(none.emailMarketing, undefined);
  assert.equal(isEmptyPlan(none), true);
});

test('LIST_ subscribes with consent, UCLIST_ adds without, false removes, others are properties', () => {
  const plan = planProfileActions([
    list('News', true),
    uclist('VIP', true),
    list('Old', false),
    uclist('Gone', false),
    { kind: 'custom_property', field: 'Loyalty Tier', name: 'Loyalty Tier', value: 'gold' },
  ]);
  assert.deepEqual(plan.subscribeToLists, ['News']);
  assert.deepEqual(plan.addToLists, ['VIP']);
  assert.deepEqual(plan.removeFromLists, ['Old', 'Gone']);
  assert.deepEqual(plan.properties, { 'Loyalty Tier': 'gold' });
  assert.equal(plan.emailMarketing, undefined);
  assert.deepEqual(listsOfPlan(plan).sort(), ['Gone', 'News', 'Old', 'VIP']);
  assert.equal(isEmptyPlan(plan), false);
});

test('SubscribeProfile=false turns a consenting LIST_ into a plain add, with a warning', () => {
  const plan = planProfileActions([subscribe(false), list('News', true)]);
  assert.deepEqual(plan.subscribeToLists, []);
  assert.deepEqual(plan.addToLists, ['News']);
  assert.match(plan.warnings[0], /without email consent/);
});

test('LIST_ and UCLIST_ both true for one list subscribe it once', () => {
  const plan = planProfileActions([uclist('VIP', true), list('VIP', true)]);
  assert.deepEqual(plan.subscribeToLists, ['VIP']);
  assert.deepEqual(plan.addToLists, []);
});

test('a list both added and removed is left alone, with one warning', () => {
  const plan = planProfileActions([list('VIP', true), uclist('VIP', false), uclist('VIP', true)]);
  assert.deepEqual(listsOfPlan(plan), []);
  assert.equal(plan.warnings.length, 1);
  assert.match(plan.warnings[0], /both added and removed/);
});
