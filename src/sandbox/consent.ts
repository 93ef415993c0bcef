// Consent jobs (subscribe ≤ 1,000, unsubscribe ≤ 100) and data privacy deletion. An unsubscribe naming a
// list removes members of that list from it, and unsubscribes globally a profile that is not on it, which is
// the trap Klaviyo's documentation warns about.
import { type ApiRequest, attributesOf, dataOf, invalid, isObject, type Json, notFound } from './http.ts';
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

function readChanges(
  attributes: Json,
  max: number,
  consent: Consent,
  historical: boolean,
  now: number,
): ConsentChange[] {
  return profilesData(attributes, max).map((entry, i) => {
    const pointer = `/data/attributes/profiles/data/${i}`;
    if (!isObject(entry) || entry.type !== 'profile' || !isObject(entry.attributes))
      throw invalid("Each profile must have type 'profile' and attributes.", { pointer });
    const { email, phone_number: phone } = readIdentifiers(entry.attributes, `${pointer}/attributes`);
    const subscriptions = entry.attributes.subscriptions;
    if (!isObject(subscriptions))
      throw invalid("'subscriptions' is required.", { pointer: `${pointer}/attributes/subscriptions` });
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
  const attributes = attributesOf(data);
  const historical = attributes.historical_import === true;
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
  const changes = readChanges(attributesOf(data), 100, 'UNSUBSCRIBED', false, req.now);
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
  const attributes = attributesOf(dataOf(req.body, 'data-privacy-deletion-job'));
  const data = isObject(attributes.profile) ? attributes.profile.data : undefined;
  if (!isObject(data) || data.type !== 'profile')
    throw invalid('A profile is required.', { pointer: '/data/attributes/profile/data' });
  const profileAttributes = isObject(data.attributes) ? data.attributes : {};
  const identifiers = readIdentifiers(profileAttributes, '/data/attributes/profile/data/attributes');
  const given = [data.id, identifiers.email, identifiers.phone_number].filter(
    (value) => typeof value === 'string',
  );
  if (given.length !== 1 || profileAttributes.external_id !== undefined) {
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
