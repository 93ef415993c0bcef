// The custom-field actions of a batch of written profiles (SPEC S4, S5.1), run as few Klaviyo calls as the
// limits allow: one subscribe job per list (≤1,000 profiles), unsubscribe jobs (≤100, Klaviyo's limit for
// that endpoint), add/remove list member calls per list (≤1,000 ids). A call refused whole because of one
// profile is split so the others still go; every profile ends with its own error, if any.
import type { KlaviyoClient, SubscriptionProfile } from '../../klaviyo/index.ts';
import { endpoint } from '../../klaviyo/index.ts';
import {
  chunkWithinLimits,
  type ItemResult,
  mapWithConcurrency,
  sendSplittingOnRefusal,
} from '../shared/batcher.ts';
import type { ListDirectory } from '../shared/list-directory.ts';
import { isContentRefusal } from '../shared/outcomes.ts';
import type { ProfileActionPlan } from './profile-actions.ts';
import { listsOfPlan } from './profile-actions.ts';

export interface ProfileActionItem {
  key: string;
  profileId: string;
  email?: string;
  plan: ProfileActionPlan;
}

export interface ActionReport {
  /** The first failure of the profile's actions, if any (the record fails with it). */
  error?: unknown;
  /** What was done, for the transfer log. */
  done: string[];
  warnings: string[];
}

interface Call {
  describe: string;
  key: string;
  profile: SubscriptionProfile | string;
}

const EMAIL_SUBSCRIBED = { email: { marketing: { consent: 'SUBSCRIBED' } } };
const EMAIL_UNSUBSCRIBED = { email: { marketing: { consent: 'UNSUBSCRIBED' } } };

export async function runProfileActions(
  client: KlaviyoClient,
  items: readonly ProfileActionItem[],
  options: { lists: ListDirectory; createMissingLists: boolean; concurrency?: number },
): Promise<Map<string, ActionReport>> {
  const reports = new Map<string, ActionReport>();
  const report = (key: string) => {
    let entry = reports.get(key);
    if (!entry) {
      entry = { done: [], warnings: [] };
      reports.set(key, entry);
    }
    return entry;
  };

  // Lists by name first: a missing list fails only the records that name it.
  const names = [...new Set(items.flatMap((item) => listsOfPlan(item.plan)))];
  const listIds = new Map<string, string>();
  const listErrors = new Map<string, unknown>();
  await mapWithConcurrency(names, 4, async (name) => {
    try {
      listIds.set(
        name,
        (await options.lists.resolve(name, { createMissing: options.createMissingLists })).id,
      );
    } catch (error) {
      listErrors.set(name, error);
    }
  });

  const subscribeByList = new Map<string, Call[]>();
  const unsubscribe: Call[] = [];
  const addByList = new Map<string, Call[]>();
  const removeByList = new Map<string, Call[]>();
  const push = (map: Map<string, Call[]>, listId: string, call: Call) => {
    const calls = map.get(listId);
    if (calls) calls.push(call);
    else map.set(listId, [call]);
  };

  for (const item of items) {
    const entry = report(item.key);
    entry.warnings.push(...item.plan.warnings);
    const failedList = listsOfPlan(item.plan).find((name) => listErrors.has(name));
    if (failedList !== undefined) {
      entry.error = listErrors.get(failedList);
      continue;
    }
    const consentProfile = (subscriptions: Record<string, unknown>): SubscriptionProfile => ({
      id: item.profileId,
      email: item.email,
      subscriptions,
    });
    const needsEmail = item.plan.emailMarketing !== undefined || item.plan.subscribeToLists.length > 0;
    if (needsEmail && !item.email) {
      entry.warnings.push(
        'Email consent was not changed: the profile has no email address (SubscribeProfile and LIST_ fields ' +
          'change email marketing consent).',
      );
    } else {
      if (item.plan.emailMarketing === 'subscribe') {
        push(subscribeByList, '', {
          describe: 'subscribed to email marketing',
          key: item.key,
          profile: consentProfile(EMAIL_SUBSCRIBED),
        });
      }
      if (item.plan.emailMarketing === 'unsubscribe') {
        unsubscribe.push({
          describe: 'unsubscribed from email marketing',
          key: item.key,
          profile: consentProfile(EMAIL_UNSUBSCRIBED),
        });
      }
      for (const name of item.plan.subscribeToLists) {
        push(subscribeByList, listIds.get(name)!, {
          describe: `subscribed to list '${name}'`,
          key: item.key,
          profile: consentProfile(EMAIL_SUBSCRIBED),
        });
      }
    }
    for (const name of item.plan.addToLists) {
      push(addByList, listIds.get(name)!, {
        describe: `added to list '${name}' (consent unchanged)`,
        key: item.key,
        profile: item.profileId,
      });
    }
    for (const name of item.plan.removeFromLists) {
      push(removeByList, listIds.get(name)!, {
        describe: `removed from list '${name}' (consent unchanged)`,
        key: item.key,
        profile: item.profileId,
      });
    }
  }

  const runs: Array<{ calls: Call[]; maxItems: number; send: (calls: readonly Call[]) => Promise<void> }> =
    [];
  const profilesOf = (calls: readonly Call[]) => calls.map((call) => call.profile as SubscriptionProfile);
  // Several values of one profile in one call would be refused; distinct ids per call.
  const idsOf = (calls: readonly Call[]) => [...new Set(calls.map((call) => call.profile as string))];
  for (const [listId, calls] of subscribeByList) {
    runs.push({
      calls,
      maxItems: endpoint('bulk_subscribe_profiles').maxBatch ?? 1000,
      send: (batch) => client.subscriptions.subscribe(profilesOf(batch), listId ? { listId } : {}),
    });
  }
  if (unsubscribe.length > 0) {
    runs.push({
      calls: unsubscribe,
      maxItems: endpoint('bulk_unsubscribe_profiles').maxBatch ?? 100,
      send: (batch) => client.subscriptions.unsubscribe(profilesOf(batch)),
    });
  }
  for (const [listId, calls] of addByList) {
    runs.push({
      calls,
      maxItems: endpoint('add_profiles_to_list').maxBatch ?? 1000,
      send: (batch) => client.lists.addMembers(listId, idsOf(batch)),
    });
  }
  for (const [listId, calls] of removeByList) {
    runs.push({
      calls,
      maxItems: endpoint('remove_profiles_from_list').maxBatch ?? 1000,
      send: (batch) => client.lists.removeMembers(listId, idsOf(batch)),
    });
  }

  const chunks = runs.flatMap((run) =>
    chunkWithinLimits(run.calls, { maxItems: run.maxItems }).map((calls) => ({ calls, send: run.send })),
  );
  await mapWithConcurrency(chunks, options.concurrency ?? 4, async ({ calls, send }) => {
    const results: ItemResult<true>[] = await sendSplittingOnRefusal(
      calls,
      async (batch) => {
        await send(batch);
        return batch.map(() => ({ ok: true, value: true }) as const);
      },
      { isWholeBatchRefusal: isContentRefusal },
    );
    results.forEach((result, index) => {
      const entry = report(calls[index].key);
      if (result.ok) entry.done.push(calls[index].describe);
      else entry.error ??= result.error;
    });
  });
  return reports;
}
