import { AccountsSchema, parseAnswer } from '../answers.ts';
import { fetchPage, iterateAll, type KlaviyoResource, type Page } from '../pagination.ts';
import type { KlaviyoTransport } from '../transport.ts';
import type { Attributes } from './shared.ts';

export function accountsResource(transport: KlaviyoTransport) {
  return {
    /** The one account the key or token belongs to (a 1/s, 15/m tier: callers cache it). */
    async get(): Promise<KlaviyoResource> {
      const answer = await transport.call('get_accounts');
      // An empty list would leave the subscription without its account: a coded error, not a crash.
      return parseAnswer(AccountsSchema, answer.body, answer.operationId, answer.status)
        .data[0] as KlaviyoResource;
    },
  };
}

export interface MetricAttributes extends Attributes {
  name?: string;
  integration?: Attributes | null;
}

export function metricsResource(transport: KlaviyoTransport) {
  return {
    /** e.g. filter `equals(integration.name,'API')`; up to 200 per page. */
    list(options: { filter?: string; next?: string } = {}): Promise<Page<MetricAttributes>> {
      if (options.next) return fetchPage(transport, 'get_metrics', { url: options.next });
      return fetchPage(transport, 'get_metrics', { query: { filter: options.filter } });
    },
    iterate(options: { filter?: string } = {}): AsyncGenerator<KlaviyoResource<MetricAttributes>> {
      return iterateAll(transport, 'get_metrics', { query: { filter: options.filter } });
    },
  };
}

/** Exactly one identifier; Klaviyo deletes every profile that matches it. */
export type DeletionTarget = { id: string } | { email: string } | { phoneNumber: string };

export function deletionBody(target: DeletionTarget) {
  const profile =
    'id' in target
      ? // The schema requires `attributes` even when the profile is named by id.
        { type: 'profile', id: target.id, attributes: {} }
      : 'email' in target
        ? { type: 'profile', attributes: { email: target.email } }
        : { type: 'profile', attributes: { phone_number: target.phoneNumber } };
  return { data: { type: 'data-privacy-deletion-job', attributes: { profile: { data: profile } } } };
}

export function dataPrivacyResource(transport: KlaviyoTransport) {
  return {
    /** Accepted (202); the deletion happens asynchronously on Klaviyo's side. */
    async requestDeletion(target: DeletionTarget): Promise<void> {
      await transport.call('request_profile_deletion', { body: deletionBody(target) });
    },
  };
}
