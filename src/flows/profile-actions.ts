// The special custom fields of the Customer → Profile collections (SPEC S4): SubscribeProfile, LIST_<name>,
// UCLIST_<name>, and plain properties, read into a plan of Klaviyo calls. Consent is only ever granted by
// an explicit true and only ever revoked globally by SubscribeProfile=false; list removals never touch
// consent, so LIST_<name>=false can never become a global unsubscribe.

export interface CustomFieldAction {
  /** The custom field's name as the subscription defines it, e.g. `SubscribeProfile`, `LIST_VIP`. */
  name: string;
  value: unknown;
}

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

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'on', 'subscribed']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'off', 'unsubscribed']);

/** true / false, or undefined for empty ("no change"); throws a readable error for anything else. */
export function readFlag(name: string, value: unknown): boolean | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (value === 1) return true;
    if (value === 0) return false;
  }
  const text = String(value).trim().toLowerCase();
  if (text === '') return undefined;
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  throw new Error(`custom field '${name}' must be true, false or empty, not '${String(value)}'`);
}

export const SUBSCRIBE_PROFILE = 'SubscribeProfile';
const LIST_PREFIX = 'LIST_';
const UCLIST_PREFIX = 'UCLIST_';

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
    if (action.name === SUBSCRIBE_PROFILE) {
      const flag = readFlag(action.name, action.value);
      if (flag !== undefined) plan.emailMarketing = flag ? 'subscribe' : 'unsubscribe';
      continue;
    }
    const prefix = action.name.startsWith(UCLIST_PREFIX)
      ? UCLIST_PREFIX
      : action.name.startsWith(LIST_PREFIX)
        ? LIST_PREFIX
        : undefined;
    if (!prefix) {
      plan.properties[action.name] = action.value;
      continue;
    }
    const listName = action.name.slice(prefix.length);
    if (!listName) throw new Error(`custom field '${action.name}' names no list`);
    const flag = readFlag(action.name, action.value);
    if (flag === undefined) continue;
    const intent: ListIntent = !flag ? 'remove' : prefix === UCLIST_PREFIX ? 'add' : 'subscribe';
    const earlier = intents.get(listName);
    if (earlier === undefined || earlier === intent) intents.set(listName, intent);
    else if (earlier !== 'contradiction' && earlier !== 'remove' && intent !== 'remove') {
      // LIST_x=true and UCLIST_x=true together: joining with consent covers both.
      intents.set(listName, 'subscribe');
    } else {
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
