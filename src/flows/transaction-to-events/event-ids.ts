// Deterministic event ids (SPEC S5.3). Klaviyo keeps the first event per (profile, metric, unique_id), so a
// retried or replayed transfer can never make a second event as long as the id is derived from the record
// alone — never from time or randomness. Status events (Fulfilled / Canceled / Refunded Order) reuse the
// Placed Order's id, as Klaviyo's ecommerce guide requires for CLV; they do not collide with it because the
// metric differs.

export const PLACED_ORDER = 'Placed Order';
export const ORDERED_PRODUCT = 'Ordered Product';
export const FULFILLED_ORDER = 'Fulfilled Order';
export const CANCELED_ORDER = 'Canceled Order';
export const REFUNDED_ORDER = 'Refunded Order';

export const ORDER_STATUS_METRICS = [FULFILLED_ORDER, CANCELED_ORDER, REFUNDED_ORDER] as const;
export type OrderStatusMetric = (typeof ORDER_STATUS_METRICS)[number];

interface LineIdentity {
  id?: unknown;
  sequence_number?: unknown;
}

function present(value: unknown): value is string | number {
  return (
    (typeof value === 'string' && value.trim() !== '') ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** `<transaction id>`: the Placed Order's unique_id, and the one its status events reuse. */
export function orderUniqueId(transactionId: string): string {
  if (!present(transactionId)) throw new Error('a transaction id is required for an order event id');
  return String(transactionId);
}

/**
 * `<transaction id>:<line id or sequence>` for Ordered Product. The line's own id wins; else its
 * sequence_number; else its 1-based position, which is stable as long as the order's lines are.
 */
export function orderedProductUniqueId(transactionId: string, line: LineIdentity, index: number): string {
  const lineKey = present(line.id)
    ? line.id
    : present(line.sequence_number)
      ? line.sequence_number
      : index + 1;
  return `${orderUniqueId(transactionId)}:${String(lineKey)}`;
}

/**
 * Unique ids for every line of an order. Lines that would share an id (two lines with the same
 * sequence_number, say) get their position appended, so no two lines of one order collapse into one event.
 */
export function orderedProductUniqueIds(transactionId: string, lines: readonly LineIdentity[]): string[] {
  const ids = lines.map((line, index) => orderedProductUniqueId(transactionId, line, index));
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return ids.map((id, index) => ((counts.get(id) ?? 0) > 1 ? `${id}#${index + 1}` : id));
}
