// Customers per second through the default Customer → Profile (Add) collection on one core, plus the
// same collection without its one formula (the synchronous path) and orders through Placed Order with
// its Ordered Product children, for comparison. Run: node bench/mapping.ts [records]
import { DEFAULT_COLLECTIONS } from '../src/mapping/default-collections.ts';
import { type CollectionTree, compileCollection, type CompiledCollection } from '../src/mapping/engine.ts';
import { SAMPLE_TRANSACTION } from '../src/mapping/samples.ts';

const RECORDS = Number(process.argv[2] ?? 200_000);
const subscription = { id: 'bench', default_phone_country: 'US' };

function tree(key: string): CollectionTree {
  const top = DEFAULT_COLLECTIONS.find((c) => c.key === key);
  if (!top) throw new Error(`no default collection ${key}`);
  return { ...top, children: DEFAULT_COLLECTIONS.filter((c) => c.parent_key === key) };
}

const AREA_CODES = [212, 312, 415, 617, 718, 202, 305, 512, 646, 303, 404, 206];

function customer(i: number) {
  return {
    id: `C-${i}`,
    customer_number: `CN-${i}`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    email_address: `customer${i}@example.com`,
    company: i % 3 === 0 ? `Company ${i}` : null,
    addresses: [
      {
        first_name: `First${i}`,
        last_name: `Last${i}`,
        // Unique per customer: the E.164 cache must not flatter the figure.
        phone_number: `(${AREA_CODES[i % AREA_CODES.length]}) ${200 + (Math.floor(i / 9000) % 700)}-${String(1000 + (i % 9000))}`,
        address_1: `${i} Main St`,
        city: 'Springfield',
        region: 'IL',
        country: 'US',
        postal_code: '62701',
        is_primary_billing: true,
        is_primary_shipping: i % 2 === 0,
      },
    ],
    created_datetime: '2026-06-01T00:00:00Z',
    updated_datetime: '2026-06-02T00:00:00Z',
  };
}

async function measure(
  label: string,
  collection: CompiledCollection,
  records: unknown[],
  unit: string,
  warmUp = true,
) {
  let mapped = 0;
  let warned = 0;
  const warm = warmUp ? Math.min(records.length, 5_000) : 0;
  for (let i = 0; i < warm; i++) await collection.map(records[i]);
  const started = process.hrtime.bigint();
  for (const record of records) {
    const outcome = await collection.map(record);
    if (outcome.status === 'mapped') mapped++;
    if (outcome.warnings.length > 0) warned++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = Math.round(records.length / seconds);
  console.log(
    `${label}: ${rate.toLocaleString('en-US')} ${unit}/s (${records.length} in ${seconds.toFixed(2)} s, ${mapped} mapped, ${warned} with a warning)`,
  );
  return rate;
}

const customers = Array.from({ length: RECORDS }, (_, i) => customer(i));
const add = tree('customer_add');
const addCompiled = compileCollection(add, { subscription });
// Warm-up uses other customers, so every measured phone number is parsed for the first time.
const warmup = Array.from({ length: 5_000 }, (_, i) => customer(RECORDS + i));
for (const record of warmup) await addCompiled.map(record);
const defaultRate = await measure(
  'default Customer → Profile (Add)',
  addCompiled,
  customers,
  'customers',
  false,
);
const fieldsOnly = { ...add, mappings: add.mappings.filter((m) => m.type !== 'dynamic_formula') };
await measure(
  'same without the phone formula (sync path)',
  compileCollection(fieldsOnly, { subscription }),
  customers,
  'customers',
);
const orders = Array.from({ length: Math.max(1, Math.floor(RECORDS / 10)) }, (_, i) => ({
  ...SAMPLE_TRANSACTION,
  id: `T-${i}`,
}));
await measure(
  'Placed Order + 2 Ordered Product children',
  compileCollection(tree('placed_order'), { subscription }),
  orders,
  'orders',
);
console.log(`RESULT mapping.customers_per_second ${defaultRate}`);
