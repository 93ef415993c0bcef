// Turning mapped order payloads into Klaviyo events (SPEC S5.3): the metric, a deterministic unique_id
// (whatever the mapping says — a retried transfer must never make a second event), the order's time,
// a numeric value, and the profile: the customer's linked Klaviyo profile when there is one (by id alone,
// so an event never rewrites the profile's identifiers), else the email, else an E.164 phone.
import type { Kysely } from 'kysely';
import type { EventInput } from '../../klaviyo/index.ts';
import type { Database } from '../../store/schema.ts';
import { normalizePhone } from '../shared/phone.ts';

export type BuiltEvent = { ok: true; event: EventInput; warnings: string[] } | { ok: false; message: string };

export interface EventBuildContext {
  uniqueId: string;
  /** The order's creation time, when the mapping gives none. */
  defaultTime?: string;
  linkedProfileId?: string;
  defaultCountry?: string | null;
  recordCountry?: unknown;
  what: string;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim()) return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function buildEvent(payload: Record<string, unknown>, context: EventBuildContext): BuiltEvent {
  const warnings: string[] = [];
  const metric = text(payload.metric);
  if (!metric) return { ok: false, message: `The ${context.what} mapping gives no metric name.` };

  const mappedProfile = (payload.profile ?? {}) as Record<string, unknown>;
  let profile: EventInput['profile'];
  if (context.linkedProfileId) {
    profile = { id: context.linkedProfileId };
  } else {
    const attributes: Record<string, unknown> = { ...mappedProfile };
    delete attributes.id;
    const email = text(attributes.email);
    if (email) attributes.email = email;
    else delete attributes.email;
    if (attributes.phone_number !== undefined && attributes.phone_number !== null) {
      const phone = normalizePhone(attributes.phone_number, {
        recordCountry: context.recordCountry,
        defaultCountry: context.defaultCountry,
      });
      if (phone.ok) attributes.phone_number = phone.e164;
      else {
        delete attributes.phone_number;
        warnings.push(`Phone number dropped from the event's profile: ${phone.reason}.`);
      }
    }
    if (!attributes.email && !attributes.phone_number && !text(attributes.external_id)) {
      return {
        ok: false,
        message:
          `The ${context.what} has no customer linked to a Klaviyo profile, no email address and no valid phone ` +
          'number, so Klaviyo cannot tell whose order it is. Add the email address to the order, or sync its customer first.',
      };
    }
    profile = { attributes };
  }

  let value: number | undefined;
  if (payload.value !== undefined && payload.value !== null && payload.value !== '') {
    const number = Number(payload.value);
    if (Number.isFinite(number)) value = number;
    else warnings.push(`The value '${String(payload.value)}' is not a number and was left out.`);
  }
  const time = text(payload.time) ?? context.defaultTime;
  const properties =
    payload.properties && typeof payload.properties === 'object'
      ? (payload.properties as Record<string, unknown>)
      : {};
  return {
    ok: true,
    warnings,
    event: {
      metric,
      properties,
      time,
      value,
      valueCurrency: text(payload.value_currency),
      uniqueId: context.uniqueId,
      backfill: payload.backfill === true ? true : undefined,
      profile,
    },
  };
}

/** Status metrics already sent for these transactions, as `record_id\u0000metric`. */
export async function sentStatusEvents(
  db: Kysely<Database>,
  subscriptionId: string,
  recordIds: readonly string[],
): Promise<Set<string>> {
  const sent = new Set<string>();
  const ids = [...new Set(recordIds)];
  for (let i = 0; i < ids.length; i += 300) {
    const rows = await db
      .selectFrom('flow_event_marks')
      .select(['record_id', 'metric'])
      .where('subscription_id', '=', subscriptionId)
      .where('record_id', 'in', ids.slice(i, i + 300))
      .execute();
    for (const row of rows) sent.add(`${row.record_id}\u0000${row.metric}`);
  }
  return sent;
}

export async function markStatusEventsSent(
  db: Kysely<Database>,
  subscriptionId: string,
  marks: readonly { recordId: string; metric: string; uniqueId: string }[],
): Promise<void> {
  const at = new Date().toISOString();
  for (let i = 0; i < marks.length; i += 300) {
    await db
      .insertInto('flow_event_marks')
      .values(
        marks.slice(i, i + 300).map((mark) => ({
          subscription_id: subscriptionId,
          record_id: mark.recordId,
          metric: mark.metric,
          unique_id: mark.uniqueId,
          sent_at: at,
        })),
      )
      .onConflict((oc) => oc.columns(['subscription_id', 'record_id', 'metric']).doNothing())
      .execute();
  }
}
