// Consent jobs (subscribe ≤ 1,000, unsubscribe ≤ 100) and data privacy deletion. An unsubscribe naming a
// list removes members of that list from it, and unsubscribes globally a profile that is not on it, which is
// the trap Klaviyo's documentation warns about.
import {
  type ApiRequest,
  attributesOf,
  checkDeclared,
  dataOf,
  invalid,
  isObject,
  type Json,
  notFound,
} from './http.ts';
import { newJob, profilesData } from './jobs.ts';
import { readIdentifiers, upsertProfile } from './profile-model.ts';
import type { Handler } from './server.ts';
import type { Account, ChannelConsent, Consent, Profile, SandboxList } from './state.ts';

type Channel = 'emailMarketing' | 'smsMarketing' | 'smsTransactional';

interface ConsentChange {
  id?: string;
  attributes: Json;
  channels: Channel[];
  consentedAt: number | undefined;
}

function readList(req: ApiRequest, data: Json): SandboxList | undefined {
  const relationships = isObject(data.relationships) ? data.relationships : {};
  const list = isObject(relationships.list) ? relationships.list.data : undefined;
  if (list === undefined) return undefined;
  if (!isObject(list) || list.type !== 'list' || typeof list.id !== 'string') {
    throw invalid("The list must be {type: 'list', id}.", { pointer: '/data/relationships/list/data' });
  }
  const found = req.account.lists.get(list.id);
  if (!found) throw notFound(`A list with id ${list.id} does not exist.`);
  return found;
}

/**
 * The fields the subscribe and unsubscribe jobs' schemas declare on each profile. Klaviyo refuses others; the
 * unsubscribe job's profiles have no `id`. WhatsApp, push and open tracking are declared and accepted but not
 * modelled (docs/sandbox.md).
 */
const DECLARED = {
  SUBSCRIBED: {
    entry: ['type', 'id', 'attributes'],
    attributes: ['email', 'phone_number', 'subscriptions', 'age_gated_date_of_birth'],
    channels: {
      email: ['marketing', 'open_tracking'],
      sms: ['marketing', 'transactional'],
      whatsapp: ['marketing', 'transactional'],
      push: ['marketing', 'tokens', 'anonymous_id'],
    } as Record<string, string[]>,
    consent: ['consent', 'consented_at'],
  },
  UNSUBSCRIBED: {
    entry: ['type', 'attributes'],
    attributes: ['email', 'phone_number', 'subscriptions'],
    channels: {
      email: ['marketing', 'open_tracking'],
      sms: ['marketing', 'transactional'],
      whatsapp: ['marketing', 'transactional', 'conversational'],
      push: ['marketing', 'tokens'],
    } as Record<string, string[]>,
    consent: ['consent'],
  },
};

function checkSubscriptions(
  subscriptions: Json,
  consent: 'SUBSCRIBED' | 'UNSUBSCRIBED',
  pointer: string,
): void {
  const declared = DECLARED[consent];
  checkDeclared(subscriptions, Object.keys(declared.channels), pointer, 'subscriptions');
  for (const [channel, kinds] of Object.entries(subscriptions)) {
    if (!isObject(kinds)) continue;
    checkDeclared(kinds, declared.channels[channel], `${pointer}/${channel}`, `the ${channel} channel`);
    for (const [kind, value] of Object.entries(kinds)) {
      if (!isObject(value) || kind === 'tokens' || kind === 'anonymous_id') continue;
      const allowed = kind === 'open_tracking' ? ['consent'] : declared.consent;
      checkDeclared(value, allowed, `${pointer}/${channel}/${kind}`, `${channel} ${kind} consent`);
    }
  }
}

function readChanges(
  attributes: Json,
  max: number,
  consent: 'SUBSCRIBED' | 'UNSUBSCRIBED',
  historical: boolean,
  now: number,
): ConsentChange[] {
  return profilesData(attributes, max).map((entry, i) => {
    const pointer = `/data/attributes/profiles/data/${i}`;
    if (!isObject(entry) || entry.type !== 'profile' || !isObject(entry.attributes))
      throw invalid("Each profile must have type 'profile' and attributes.", { pointer });
    checkDeclared(entry, DECLARED[consent].entry, pointer, 'a profile of this job');
    checkDeclared(
      entry.attributes,
      DECLARED[consent].attributes,
      `${pointer}/attributes`,
      'a profile of this job',
    );
    const { email, phone_number: phone } = readIdentifiers(entry.attributes, `${pointer}/attributes`);
    const subscriptions = entry.attributes.subscriptions;
    if (!isObject(subscriptions))
      throw invalid("'subscriptions' is required.", { pointer: `${pointer}/attributes/subscriptions` });
    checkSubscriptions(subscriptions, consent, `${pointer}/attributes/subscriptions`);
    const channels: Channel[] = [];
    let consentedAt: number | undefined;
    const take = (channel: Channel, value: unknown, path: string) => {
      if (value === undefined) return;
      if (!isObject(value) || value.consent !== consent)
        throw invalid(`'consent' must be '${consent}'.`, {
          pointer: `${pointer}/attributes/subscriptions/${path}/consent`,
        });
      if (value.consented_at !== undefined) {
        if (!historical)
          throw invalid("'consented_at' is only allowed with 'historical_import'.", {
            pointer: `${pointer}/attributes/subscriptions/${path}/consented_at`,
          });
        const at = typeof value.consented_at === 'string' ? Date.parse(value.consented_at) : Number.NaN;
        if (Number.isNaN(at) || at > now)
          throw invalid("'consented_at' must be a datetime in the past.", {
            pointer: `${pointer}/attributes/subscriptions/${path}/consented_at`,
          });
        consentedAt = at;
      } else if (historical) {
        throw invalid("'consented_at' is required when 'historical_import' is true.", {
          pointer: `${pointer}/attributes/subscriptions/${path}`,
        });
      }
      channels.push(channel);
    };
    if (subscriptions.email !== undefined) {
      if (!email)
        throw invalid("'email' must not be empty when the email channel is included in 'subscriptions'", {
          pointer: `${pointer}/attributes/email`,
        });
      take(
        'emailMarketing',
        isObject(subscriptions.email) ? subscriptions.email.marketing : undefined,
        'email/marketing',
      );
    }
    if (subscriptions.sms !== undefined) {
      if (!phone)
        throw invalid(
          "'phone_number' must not be empty when the sms channel is included in 'subscriptions'",
          { pointer: `${pointer}/attributes/phone_number` },
        );
      const sms = isObject(subscriptions.sms) ? subscriptions.sms : {};
      take('smsMarketing', sms.marketing, 'sms/marketing');
      take('smsTransactional', sms.transactional, 'sms/transactional');
    }
    if (channels.length === 0)
      throw invalid('At least one channel must be given in subscriptions.', {
        pointer: `${pointer}/attributes/subscriptions`,
      });
    const identity: Json = {};
    if (email) identity.email = email;
    if (phone) identity.phone_number = phone;
    return {
      id: typeof entry.id === 'string' ? entry.id : undefined,
      attributes: identity,
      channels,
      consentedAt,
    };
  });
}

function setConsent(
  profile: Profile,
  channel: Channel,
  consent: Consent,
  at: number,
  historical?: { consentedAt: number },
): void {
  const value: ChannelConsent = { consent, timestamp: at, method: 'API' };
  if (historical) {
    value.historicalImport = true;
    value.consentedAt = historical.consentedAt;
  }
  profile.consents = { ...profile.consents, [channel]: value };
}

function consentJob(
  req: ApiRequest,
  type: string,
  changes: ConsentChange[],
  apply: (account: Account, profile: Profile, change: ConsentChange, now: number) => void,
) {
  const { account, state } = req;
  const job = newJob(type, changes.length, req.now, (running) => {
    const now = state.now();
    for (const change of changes) {
      try {
        const { profile } = upsertProfile(
          account.profiles,
          { id: change.id, attributes: change.attributes, pointer: '/data/attributes' },
          now,
        );
        apply(account, profile, change, now);
        running.resultIds.push(profile.id);
        running.completedCount++;
      } catch {
        running.failedCount++;
      }
    }
    return true;
  });
  state.enqueue(account, job);
  return { status: 202 };
}

const bulkSubscribe: Handler = (req) => {
  const data = dataOf(req.body, 'profile-subscription-bulk-create-job');
  const attributes = attributesOf(data, '/data/attributes', true);
  checkDeclared(
    attributes,
    ['custom_source', 'profiles', 'historical_import'],
    '/data/attributes',
    'this job',
  );
  const flag = attributes.historical_import;
  if (flag !== undefined && flag !== null && typeof flag !== 'boolean')
    throw invalid("'historical_import' must be a boolean.", {
      pointer: '/data/attributes/historical_import',
    });
  const historical = flag === true;
  const changes = readChanges(attributes, 1000, 'SUBSCRIBED', historical, req.now);
  const list = readList(req, data);
  // A double opt-in list sends a confirmation first: consent only changes once the person confirms.
  const confirmed = !list || list.optInProcess === 'single_opt_in' || historical;
  return consentJob(
    req,
    'profile-subscription-bulk-create-job',
    changes,
    (_account, profile, change, now) => {
      if (!confirmed) return;
      for (const channel of change.channels) {
        const at = change.consentedAt ?? now;
        setConsent(profile, channel, 'SUBSCRIBED', at, historical ? { consentedAt: at } : undefined);
      }
      if (list && !list.members.has(profile.id)) list.members.set(profile.id, now);
    },
  );
};

const bulkUnsubscribe: Handler = (req) => {
  const data = dataOf(req.body, 'profile-subscription-bulk-delete-job');
  const attributes = attributesOf(data, '/data/attributes', true);
  checkDeclared(attributes, ['profiles'], '/data/attributes', 'this job');
  const changes = readChanges(attributes, 100, 'UNSUBSCRIBED', false, req.now);
  const list = readList(req, data);
  return consentJob(
    req,
    'profile-subscription-bulk-delete-job',
    changes,
    (_account, profile, change, now) => {
      if (list?.members.has(profile.id)) {
        list.members.delete(profile.id);
        return;
      }
      for (const channel of change.channels) setConsent(profile, channel, 'UNSUBSCRIBED', now);
    },
  );
};

const requestProfileDeletion: Handler = (req) => {
  const attributes = attributesOf(dataOf(req.body, 'data-privacy-deletion-job'), '/data/attributes', true);
  const data = isObject(attributes.profile) ? attributes.profile.data : undefined;
  if (!isObject(data) || data.type !== 'profile')
    throw invalid('A profile is required.', { pointer: '/data/attributes/profile/data' });
  // The schema requires the profile's `attributes` (which may be empty when `id` names the profile) and
  // declares only email and phone_number in them.
  const pointer = '/data/attributes/profile/data/attributes';
  const profileAttributes = attributesOf(data, pointer, true);
  checkDeclared(profileAttributes, ['email', 'phone_number'], pointer, 'the profile of a deletion request');
  const identifiers = readIdentifiers(profileAttributes, pointer);
  const given = [data.id, identifiers.email, identifiers.phone_number].filter(
    (value) => typeof value === 'string',
  );
  if (given.length !== 1) {
    throw invalid('Exactly one of id, email or phone_number must be given.', {
      pointer: '/data/attributes/profile/data',
    });
  }
  const { account, state } = req;
  const job = newJob('data-privacy-deletion-job', 1, req.now, (running) => {
    const store = account.profiles;
    const targets = new Set<Profile>();
    const byId = typeof data.id === 'string' ? store.byId.get(data.id) : undefined;
    if (byId) targets.add(byId);
    const byEmail = identifiers.email ? store.find('email', identifiers.email) : undefined;
    if (byEmail) targets.add(byEmail);
    const byPhone = identifiers.phone_number
      ? store.find('phone_number', identifiers.phone_number)
      : undefined;
    if (byPhone) targets.add(byPhone);
    for (const profile of targets) {
      store.remove(profile);
      for (const list of account.lists.values()) list.members.delete(profile.id);
      running.resultIds.push(profile.id);
    }
    if (targets.size > 0) {
      const ids = new Set([...targets].map((profile) => profile.id));
      account.events = account.events.filter((event) => {
        if (!ids.has(event.profileId)) return true;
        account.eventsById.delete(event.id);
        return false;
      });
    }
    running.completedCount = 1;
    return true;
  });
  state.enqueue(account, job);
  return { status: 202 };
};

export const consentHandlers: Record<string, Handler> = {
  bulk_subscribe_profiles: bulkSubscribe,
  bulk_unsubscribe_profiles: bulkUnsubscribe,
  request_profile_deletion: requestProfileDeletion,
};
