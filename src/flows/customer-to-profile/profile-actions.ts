// The special custom fields of the Customer → Profile collections (SPEC S4) — SubscribeProfile,
// LIST_<name>, UCLIST_<name> and plain properties, as the mapping engine reports them — read into one
// plan of Klaviyo calls per profile. Consent is only granted by an explicit true and only revoked globally
// by SubscribeProfile=false; list removals never touch consent, so LIST_<name>=false can never become a
// global unsubscribe.
import type { CustomFieldAction } from '../../domain/collections.ts';

export type { CustomFieldAction };

export interface ProfileActionPlan {
  /** Email marketing consent: subscribe, unsubscribe, or leave as it is (undefined). */
  emailMarketing?: 'subscribe' | 'unsubscribe';
  /** Lists to subscribe to with consent (subscribe job with the list). */
  subscribeToLists: string[];
  /** Lists to add to without touching consent (add-members call). */
  addToLists: string[];
  /** Lists to remove from (remove-members call; consent unchanged). */
  removeFromLists: string[];
  /** Custom fields that are plain profile properties. */
  properties: Record<string, unknown>;
  warnings: string[];
}

type ListIntent = 'subscribe' | 'add' | 'remove';

export function planProfileActions(actions: readonly CustomFieldAction[]): ProfileActionPlan {
  const plan: ProfileActionPlan = {
    subscribeToLists: [],
    addToLists: [],
    removeFromLists: [],
    properties: {},
    warnings: [],
  };
  const intents = new Map<string, ListIntent | 'contradiction'>();
  for (const action of actions) {
    if (action.kind === 'subscribe_profile') {
      plan.emailMarketing = action.subscribe ? 'subscribe' : 'unsubscribe';
      continue;
    }
    if (action.kind === 'custom_property') {
      plan.properties[action.name] = action.value;
      continue;
    }
    const listName = action.list;
    const intent: ListIntent =
      action.kind === 'list_subscription'
        ? action.subscribe
          ? 'subscribe'
          : 'remove'
        : action.member
          ? 'add'
          : 'remove';
    const earlier = intents.get(listName);
    if (earlier === undefined || earlier === intent) intents.set(listName, intent);
    else if (earlier !== 'contradiction' && earlier !== 'remove' && intent !== 'remove') {
      // LIST_x=true and UCLIST_x=true together: joining with consent covers both.
      intents.set(listName, 'subscribe');
    } else if (earlier !== 'contradiction') {
      intents.set(listName, 'contradiction');
      plan.warnings.push(
        `list '${listName}' is both added and removed by the custom fields; it is left as it is`,
      );
    }
  }
  for (const [listName, intent] of intents) {
    if (intent === 'subscribe' && plan.emailMarketing === 'unsubscribe') {
      // An explicit "do not subscribe" wins over a list that would grant consent.
      plan.warnings.push(
        `SubscribeProfile is false, so LIST_${listName} adds the profile to '${listName}' without email consent`,
      );
      plan.addToLists.push(listName);
    } else if (intent === 'subscribe') plan.subscribeToLists.push(listName);
    else if (intent === 'add') plan.addToLists.push(listName);
    else if (intent === 'remove') plan.removeFromLists.push(listName);
  }
  return plan;
}

/** Every list name a plan needs resolved to an id. */
export function listsOfPlan(plan: ProfileActionPlan): string[] {
  return [...new Set([...plan.subscribeToLists, ...plan.addToLists, ...plan.removeFromLists])];
}

/** True when the plan asks for no call besides the profile write. */
export function isEmptyPlan(plan: ProfileActionPlan): boolean {
  return plan.emailMarketing === undefined && listsOfPlan(plan).length === 0;
}
