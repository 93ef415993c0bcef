// Transaction → Klaviyo order events (SPEC S5.3), gated by the subscription's Generate Events. A new order
// sends Placed Order and one Ordered Product per line; the link stored for the transaction is the Placed
// Order's unique_id, so a later transfer of the same order sends no order events again (and if it did,
// Klaviyo's unique_id rule would keep it from counting twice). On a status that the status collection
// maps to Fulfilled / Canceled / Refunded Order, that event goes once, with the Placed Order's unique_id.
import type { Transaction } from '../../domain/hub.ts';
import type { EventInput } from '../../klaviyo/index.ts';
import type { CompiledCollection } from '../../mapping/engine.ts';
import { FROM_HUB_FLOW } from '../../transfer/flows.ts';
import type { Link } from '../../transfer/links.ts';
import type { FlowContext, FlowHandler, Outcome, StepInput, Transfer } from '../../transfer/types.ts';
import {
  clientForBatch,
  groupByRecord,
  leaveAbortFailuresToQueue,
  subscriptionForBatch,
  missingRecordReason,
} from '../shared/batch-handling.ts';
import { chooseSendMode } from '../shared/batcher.ts';
import { orderedProductUniqueIds, orderUniqueId } from './event-ids.ts';
import { sendEventsInBulk, sendEventsSingly } from './event-writer.ts';
import {
  DEFAULT_BULK_THRESHOLD,
  type FlowDeps,
  mappingContextOf,
  pickCollection,
} from '../shared/flow-deps.ts';
import { buildEvent, markStatusEventsSent, sentStatusEvents } from './order-events.ts';
import { outcomeForError } from '../shared/outcomes.ts';

export const TRANSACTION_TABLE = 'transaction';

interface Order {
  transfers: Transfer[];
  transaction: Transaction;
  events: { event: EventInput; isStatus: boolean }[];
  failure?: Outcome;
  collectionId?: string;
  notes: string[];
}

function billingCountry(transaction: Transaction): unknown {
  const addresses = transaction.addresses ?? [];
  return (
    addresses.find((a) => a.is_primary_billing) ??
    addresses.find((a) => a.type === 'billing') ??
    addresses[0]
  )?.country;
}

export function createTransactionToEventsHandler(deps: FlowDeps): FlowHandler {
  const threshold = deps.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
  return {
    flow: FROM_HUB_FLOW.transaction,
    direction: 'from_hub',
    maxBatch: 1000,
    async handle(batch: Transfer[], ctx: FlowContext): Promise<Map<string, Outcome>> {
      const outcomes = new Map<string, Outcome>();
      const subscription = await subscriptionForBatch(deps, ctx);
      if (!subscription.generate_events) {
        for (const transfer of batch) {
          outcomes.set(transfer.id, {
            status: 'skipped',
            reason: 'Generate Events is off for this subscription, so order events are not sent to Klaviyo.',
          });
        }
        return outcomes;
      }
      const client = await clientForBatch(deps, ctx, batch, outcomes);
      if (!client) return outcomes;
      const collections = await deps.collectionsFor(ctx.db, ctx.subscriptionId);
      const placedOrder = pickCollection(collections, 'transaction', 'from_hub', 'add');
      const statusCollection = collections.find(
        (c) => c.type === 'transaction' && c.direction === 'from_hub' && c.syncType === 'update',
      );
      const mappingContext = { subscription: mappingContextOf(subscription) };
      const step = (order: Order, input: StepInput) => {
        for (const transfer of order.transfers) ctx.step(transfer.id, input);
      };

      const ids = [...new Set(batch.map((t) => t.record_id))];
      const transactions = (await deps.hub.getMany('transaction', ids)) as Map<string, Transaction>;
      const orders = groupByRecord<Transaction, Order>(
        batch,
        transactions,
        outcomes,
        await missingRecordReason(
          deps.hub,
          'transaction',
          ids,
          transactions,
          'The transaction no longer exists in the hub.',
        ),
        (transfer, transaction) => ({ transfers: [transfer], transaction, events: [], notes: [] }),
      );
      const placed = await deps.links.klaviyoIdsOf(ctx.subscriptionId, TRANSACTION_TABLE, [...orders.keys()]);
      const customerIds = [...orders.values()]
        .map((o) => o.transaction.customer_id)
        .filter((id) => id != null)
        .map(String);
      const profiles = await deps.links.klaviyoIdsOf(ctx.subscriptionId, 'customer', customerIds);
      const statusSent = await sentStatusEvents(ctx.db, ctx.subscriptionId, [...orders.keys()]);

      const addEvent = (
        order: Order,
        collection: CompiledCollection,
        payload: Record<string, unknown>,
        uniqueId: string,
        what: string,
        isStatus: boolean,
      ) => {
        const customerId =
          order.transaction.customer_id == null ? undefined : String(order.transaction.customer_id);
        const built = buildEvent(payload, {
          uniqueId,
          what,
          defaultTime: order.transaction.created_datetime,
          linkedProfileId: customerId ? profiles.get(customerId) : undefined,
          defaultCountry: subscription.default_phone_country,
          recordCountry: billingCountry(order.transaction),
        });
        if (!built.ok) {
          order.failure ??= {
            status: 'failed',
            code: 'MAPPING_REQUIRED_FIELD_MISSING',
            message: built.message,
            retryable: false,
            collection_id: collection.id,
          };
          return;
        }
        for (const warning of built.warnings)
          step(order, { kind: 'warning', level: 'warn', message: warning });
        order.events.push({ event: built.event, isStatus });
      };

      for (const order of orders.values()) {
        const { transaction } = order;
        const uniqueId = orderUniqueId(transaction.id);
        if (!placed.has(transaction.id)) {
          if (!placedOrder) {
            order.notes.push('the subscription has no enabled Placed Order collection');
          } else {
            order.collectionId = placedOrder.id;
            const mapped = await placedOrder.mapAsync(transaction, mappingContext);
            for (const warning of mapped.warnings)
              step(order, { kind: 'warning', level: 'warn', message: warning });
            if (mapped.status === 'failed') {
              order.failure = {
                ...outcomeForError(mapped.error, `mapping collection '${placedOrder.name}'`),
                collection_id: placedOrder.id,
              } as Outcome;
              continue;
            }
            if (mapped.status === 'skipped') order.notes.push(mapped.reason);
            else {
              addEvent(order, placedOrder, mapped.payload, uniqueId, 'Placed Order', false);
              const lineIds = orderedProductUniqueIds(transaction.id, transaction.lines ?? []);
              for (const child of mapped.children) {
                child.items.forEach((item, index) => {
                  if (item.status === 'mapped')
                    addEvent(order, placedOrder, item.payload, lineIds[index], `line ${index + 1}`, false);
                  else if (item.status === 'failed') {
                    order.failure ??= {
                      ...outcomeForError(item.error, `mapping collection '${child.name}'`),
                      collection_id: placedOrder.id,
                    } as Outcome;
                  }
                });
              }
            }
          }
        } else {
          order.notes.push(
            `the Placed Order was already sent (unique_id ${placed.get(transaction.id)}); order events are append-only`,
          );
        }
        if (statusCollection && !order.failure) {
          const mapped = await statusCollection.mapAsync(transaction, mappingContext);
          if (mapped.status === 'mapped' && mapped.payload.metric) {
            const metric = String(mapped.payload.metric);
            if (statusSent.has(`${transaction.id}\u0000${metric}`)) {
              order.notes.push(`the ${metric} event was already sent`);
            } else {
              order.collectionId ??= statusCollection.id;
              addEvent(order, statusCollection, mapped.payload, uniqueId, metric, true);
            }
          } else if (mapped.status === 'failed') {
            order.failure ??= {
              ...outcomeForError(mapped.error, `mapping collection '${statusCollection.name}'`),
              collection_id: statusCollection.id,
            } as Outcome;
          } else if (transaction.status) {
            order.notes.push(`status '${transaction.status}' sends no status event`);
          }
        }
      }

      // Send every event of the batch in one go; each order then takes the outcome of its own events.
      const ready = [...orders.values()].filter((order) => !order.failure && order.events.length > 0);
      const flat = ready.flatMap((order) => order.events.map((entry) => ({ order, ...entry })));
      const mode = chooseSendMode(Math.max(ctx.backlog, ready.length), threshold);
      const events = flat.map((entry) => entry.event);
      const results =
        mode === 'bulk' ? await sendEventsInBulk(client, events) : await sendEventsSingly(client, events);
      const failures = new Map<Order, unknown>();
      results.forEach((result, index) => {
        if (!result.ok && !failures.has(flat[index].order)) failures.set(flat[index].order, result.error);
      });

      const links: Link[] = [];
      const marks: { recordId: string; metric: string; uniqueId: string }[] = [];
      for (const order of orders.values()) {
        const id = order.transaction.id;
        if (order.failure) {
          for (const transfer of order.transfers) outcomes.set(transfer.id, order.failure);
          continue;
        }
        if (order.events.length === 0) {
          const reason = `Nothing to send: ${order.notes.join('; ') || 'no event was mapped'}.`;
          for (const transfer of order.transfers)
            outcomes.set(transfer.id, { status: 'skipped', reason, collection_id: order.collectionId });
          continue;
        }
        const error = failures.get(order);
        if (error !== undefined) {
          const outcome = {
            ...outcomeForError(error, 'sending the order events'),
            collection_id: order.collectionId,
          } as Outcome;
          for (const transfer of order.transfers) outcomes.set(transfer.id, outcome);
          continue;
        }
        const summary = order.events
          .map((entry) => `${entry.event.metric} (${entry.event.uniqueId})`)
          .join(', ');
        step(order, {
          kind: 'request',
          message: `Sent ${summary} (${mode === 'bulk' ? 'bulk create job' : 'single calls'})`,
          data: order.events.map((e) => e.event),
        });
        for (const note of order.notes) step(order, { kind: 'note', message: note });
        if (order.events.some((entry) => !entry.isStatus)) {
          links.push({
            subscription_id: ctx.subscriptionId,
            table_name: TRANSACTION_TABLE,
            hub_id: id,
            klaviyo_id: orderUniqueId(id),
          });
        }
        for (const entry of order.events) {
          if (entry.isStatus)
            marks.push({ recordId: id, metric: entry.event.metric, uniqueId: entry.event.uniqueId ?? '' });
        }
        for (const transfer of order.transfers)
          outcomes.set(transfer.id, { status: 'succeeded', collection_id: order.collectionId });
      }
      if (links.length > 0) await deps.links.set(links, ctx.db);
      if (marks.length > 0) await markStatusEventsSent(ctx.db, ctx.subscriptionId, marks);
      leaveAbortFailuresToQueue(outcomes, ctx.signal);
      return outcomes;
    },
  };
}
