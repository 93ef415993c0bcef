import type { KlaviyoTransport } from '../transport.ts';
import { type Attributes, checkBatch, defined } from './shared.ts';

/** One profile's consent change; `subscriptions` follows Klaviyo's channel shape (email.marketing, sms…). */
export interface SubscriptionProfile {
  id?: string;
  email?: string;
  phone_number?: string;
  subscriptions: Attributes;
  age_gated_date_of_birth?: string;
}

export interface SubscribeOptions {
  listId?: string;
  customSource?: string;
  /** Skips double opt-in; every profile then needs a past `consented_at`. */
  historicalImport?: boolean;
}

/** A subscribe job's profile: `id` and `age_gated_date_of_birth` are declared there. */
function profileData(p: SubscriptionProfile) {
  return defined({
    type: 'profile',
    id: p.id,
    attributes: defined({
      email: p.email,
      phone_number: p.phone_number,
      subscriptions: p.subscriptions,
      age_gated_date_of_birth: p.age_gated_date_of_birth,
    }),
  });
}

function listRelationship(listId: string | undefined) {
  return listId ? { list: { data: { type: 'list', id: listId } } } : undefined;
}

export function subscribeBody(profiles: readonly SubscriptionProfile[], options: SubscribeOptions = {}) {
  return {
    data: defined({
      type: 'profile-subscription-bulk-create-job',
      attributes: defined({
        custom_source: options.customSource,
        historical_import: options.historicalImport,
        profiles: { data: profiles.map(profileData) },
      }),
      relationships: listRelationship(options.listId),
    }),
  };
}

/**
 * An unsubscribe job's profile declares only `email`, `phone_number` and `subscriptions` (no `id`, no
 * `age_gated_date_of_birth`), and Klaviyo refuses members a subscription job does not declare: the profile
 * is named by its identifiers alone (docs/klaviyo-client.md).
 */
function unsubscribeProfileData(p: SubscriptionProfile) {
  return {
    type: 'profile',
    attributes: defined({ email: p.email, phone_number: p.phone_number, subscriptions: p.subscriptions }),
  };
}

export function unsubscribeBody(profiles: readonly SubscriptionProfile[], listId?: string) {
  return {
    data: defined({
      type: 'profile-subscription-bulk-delete-job',
      attributes: { profiles: { data: profiles.map(unsubscribeProfileData) } },
      relationships: listRelationship(listId),
    }),
  };
}

export function subscriptionsResource(transport: KlaviyoTransport) {
  return {
    /** Accepted asynchronously (202, no body); up to 1000 profiles. */
    async subscribe(profiles: readonly SubscriptionProfile[], options: SubscribeOptions = {}): Promise<void> {
      checkBatch('bulk_subscribe_profiles', profiles.length);
      await transport.call('bulk_subscribe_profiles', { body: subscribeBody(profiles, options) });
    },
    /** Up to 100 profiles. Without a list, or for profiles not in it, Klaviyo unsubscribes globally. */
    async unsubscribe(
      profiles: readonly SubscriptionProfile[],
      options: { listId?: string } = {},
    ): Promise<void> {
      checkBatch('bulk_unsubscribe_profiles', profiles.length);
      await transport.call('bulk_unsubscribe_profiles', { body: unsubscribeBody(profiles, options.listId) });
    },
  };
}
