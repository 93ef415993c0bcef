// The console keeps its own copy of the roles (its bundle takes no server code); it must say what the
// server's list says, in the same order (the order is the rank).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROLES, roleAllows as serverAllows } from '../../src/domain/roles.ts';
import { ROLE_DESCRIPTIONS, ROLES as CONSOLE_ROLES, roleAllows } from '../../src/web/roles.ts';

test("the console's roles are the server's, ranked the same, each described", () => {
  assert.deepEqual([...CONSOLE_ROLES], [...ROLES]);
  for (const held of ROLES) {
    for (const needed of ROLES) assert.equal(roleAllows(held, needed), serverAllows(held, needed));
    assert.ok(ROLE_DESCRIPTIONS[held].length > 10);
  }
});
