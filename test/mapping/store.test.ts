import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AppError } from '../../src/domain/errors.ts';
import { compileCollection } from '../../src/mapping/engine.ts';
import {
  createCollection,
  createDefaultCollections,
  deleteCollection,
  getCollection,
  listCollections,
  loadCompiledCollections,
  replaceCollection,
} from '../../src/mapping/store.ts';
import { migrate, dropSchemaSql } from '../../src/store/migrate.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { addSubscriptionRows } from '../helpers/subscriptions.ts';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

function storeSuite(kind: 'sqlite' | 'postgres') {
  const skip = kind === 'postgres' && !TEST_DATABASE_URL ? 'TEST_DATABASE_URL is not set' : undefined;
  describe(`collection store (${kind})`, { skip }, () => {
    let store: Store;
    let pgSchema: string | undefined;

    before(async () => {
      pgSchema = kind === 'postgres' ? `test_mapping_${randomBytes(5).toString('hex')}` : undefined;
      store = openStore({
        dataDir: '/nonexistent',
        sqliteFile: ':memory:',
        ...(kind === 'postgres' ? { databaseUrl: TEST_DATABASE_URL, pgSchema } : {}),
      });
      await migrate(store);
      await addSubscriptionRows(
        store.db,
        { id: 'sub-a', name: 'Sub sub-a', default_phone_country: 'US' },
        { id: 'sub-b', name: 'Sub sub-b', default_phone_country: 'US' },
      );
    });
    after(async () => {
      if (pgSchema) await store.pool?.query(dropSchemaSql(pgSchema));
      await store.close();
    });

    test('default collections are stored with children linked to their parents, once', async () => {
      const made = await createDefaultCollections(store.db, 'sub-a');
      assert.equal(made.length, 9);
      const placed = made.find((c) => c.name === 'Add Klaviyo Placed Order Event FROM hub');
      const ordered = made.find((c) => c.name === 'Add Klaviyo Ordered Product Event FROM hub');
      assert.ok(placed && ordered);
      assert.equal(ordered.parent_id, placed.id);
      const status = made.find((c) => c.type === 'transaction' && c.sync_type === 'update');
      assert.deepEqual(
        status?.mappings.find((m) => m.destination === 'metric'),
        {
          destination: 'metric',
          type: 'lookup_translation',
          source: 'status',
          table: {
            fulfilled: 'Fulfilled Order',
            canceled: 'Canceled Order',
            cancelled: 'Canceled Order',
            refunded: 'Refunded Order',
          },
          default: null,
        },
      );
      assert.equal(
        (await createDefaultCollections(store.db, 'sub-a')).length,
        9,
        'a second call adds nothing',
      );
    });

    test('compiled collections: enabled roots with children inside, cached until a save', async () => {
      const compiled = await loadCompiledCollections(store.db, 'sub-a');
      assert.equal(compiled.length, 6);
      assert.equal(compiled[0].name, 'Add Klaviyo Profile FROM hub');
      assert.equal(
        compiled.find((c) => c.name === 'Add Klaviyo Placed Order Event FROM hub')?.children.length,
        1,
      );
      assert.equal(
        await loadCompiledCollections(store.db, 'sub-a'),
        compiled,
        'the same compiled set while nothing changed',
      );
      const update = (await listCollections(store.db, 'sub-a')).find(
        (c) => c.name === 'Update Klaviyo Profile FROM hub',
      );
      assert.ok(update);
      const { id, subscription_id, created_at, updated_at, ...input } = update;
      await replaceCollection(store.db, id, { ...input, enabled: false });
      const after = await loadCompiledCollections(store.db, 'sub-a');
      assert.notEqual(after, compiled);
      assert.equal(after.length, 5);
      assert.equal(
        after.find((c) => c.id === id),
        undefined,
      );
    });

    test('create, replace and delete keep every mapping type intact and validate', async () => {
      const input = {
        name: 'Custom',
        type: 'customer',
        direction: 'from_hub',
        sync_type: 'add_and_update',
        mapping_filter: '$exists(email_address)',
        error_message: null,
        mappings: [
          { destination: 'email', type: 'field', source: 'email_address' },
          { destination: 'properties.Static', type: 'static', value: null },
          { destination: 'properties.F', type: 'dynamic_formula', formula: 'first_name', description: 'why' },
          { destination: 'properties.L', type: 'lookup_translation', formula: 'company', table: { A: 1 } },
        ],
      };
      const made = await createCollection(store.db, 'sub-b', input);
      const read = await getCollection(store.db, made.id);
      assert.deepEqual(read?.mappings, input.mappings);
      assert.equal(read?.sync_type, 'add_and_update');
      await assert.rejects(
        createCollection(store.db, 'sub-b', { ...input, name: 'Second' }),
        (e: unknown) => {
          return e instanceof AppError && e.code === 'MAPPING_DUPLICATE_ADD_COLLECTION';
        },
      );
      const replaced = await replaceCollection(store.db, made.id, {
        ...input,
        mappings: input.mappings.slice(0, 1),
      });
      assert.equal(replaced.mappings.length, 1);
      const outcome = await compileCollection(replaced).map({ email_address: 'a@example.com' });
      assert.deepEqual(outcome.status === 'mapped' && outcome.payload, { email: 'a@example.com' });
      await deleteCollection(store.db, made.id);
      assert.equal(await getCollection(store.db, made.id), undefined);
      await assert.rejects(
        createCollection(store.db, 'nope', input),
        (e: unknown) => e instanceof AppError && e.code === 'NOT_FOUND',
      );
    });

    test('a parent with children cannot be deleted or change its type', async () => {
      const parent = (await listCollections(store.db, 'sub-a')).find(
        (c) => c.name === 'Add Klaviyo Placed Order Event FROM hub',
      );
      assert.ok(parent);
      await assert.rejects(
        deleteCollection(store.db, parent.id),
        (e: unknown) => e instanceof AppError && e.code === 'CONFLICT',
      );
      const { id, subscription_id, created_at, updated_at, ...input } = parent;
      await assert.rejects(
        replaceCollection(store.db, id, { ...input, type: 'product', mappings: [] }),
        (e: unknown) => e instanceof AppError && e.field === 'type',
      );
    });
  });
}

storeSuite('sqlite');
storeSuite('postgres');
