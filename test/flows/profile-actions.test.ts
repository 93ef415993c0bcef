import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listsOfPlan, planProfileActions, readFlag } from '../../src/flows/profile-actions.ts';

test('SubscribeProfile true/false/empty maps to subscribe, unsubscribe, no change', () => {
  assert.equal(planProfileActions([{ name: 'SubscribeProfile', value: true }]).emailMarketing, 'subscribe');
  assert.equal(
    planProfileActions([{ name: 'SubscribeProfile', value: 'false' }]).emailMarketing,
    'unsubscribe',
  );
  assert.equal(planProfileActions([{ name: 'SubscribeProfile', value: '' }]).emailMarketing, undefined);
  assert.equal(planProfileActions([{ name: 'SubscribeProfile', value: null }]).emailMarketing, undefined);
});

test('LIST_ subscribes with consent, UCLIST_ adds without, false removes, others are properties', () => {
  const plan = planProfileActions([
    { name: 'LIST_News', value: true },
    { name: 'UCLIST_VIP', value: 'yes' },
    { name: 'LIST_Old', value: false },
    { name: 'UCLIST_Gone', value: 0 },
    { name: 'LIST_Later', value: '' },
    { name: 'Loyalty Tier', value: 'gold' },
  ]);
  assert.deepEqual(plan.subscribeToLists, ['News']);
  assert.deepEqual(plan.addToLists, ['VIP']);
  assert.deepEqual(plan.removeFromLists, ['Old', 'Gone']);
  assert.deepEqual(plan.properties, { 'Loyalty Tier': 'gold' });
  assert.equal(plan.emailMarketing, undefined);
  assert.deepEqual(listsOfPlan(plan).sort(), ['Gone', 'News', 'Old', 'VIP']);
});

test('SubscribeProfile=false turns a consenting LIST_ into a plain add, with a warning', () => {
  const plan = planProfileActions([
    { name: 'SubscribeProfile', value: false },
    { name: 'LIST_News', value: true },
  ]);
  assert.deepEqual(plan.subscribeToLists, []);
  assert.deepEqual(plan.addToLists, ['News']);
  assert.match(plan.warnings[0], /without email consent/);
});

test('a list both added and removed is left alone, with a warning', () => {
  const plan = planProfileActions([
    { name: 'LIST_VIP', value: true },
    { name: 'UCLIST_VIP', value: false },
  ]);
  assert.deepEqual(listsOfPlan(plan), []);
  assert.match(plan.warnings[0], /both added and removed/);
});

test('a flag that is neither true, false nor empty is refused with its name', () => {
  assert.throws(() => readFlag('LIST_VIP', 'maybe'), /LIST_VIP.*'maybe'/);
  assert.throws(() => planProfileActions([{ name: 'LIST_', value: true }]), /names no list/);
});
