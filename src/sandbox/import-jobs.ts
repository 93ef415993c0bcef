// Reading profile bulk import jobs (list, get, import errors, imported profiles and lists) and accounts.
import {
  type ApiRequest,
  invalid,
  type Json,
  matchTerm,
  notFound,
  pageSize,
  paginate,
  parseOperationFilter,
  parseSort,
  sparse,
} from './http.ts';
import { importJobResource } from './jobs.ts';
import { listResource } from './lists.ts';
import { profileResource } from './profile-model.ts';
import type { Handler } from './server.ts';
import type { Job } from './state.ts';

function requireImportJob(req: ApiRequest, id: string): Job {
  const job = req.account.jobs.get(id);
  if (job?.type !== 'profile-bulk-import-job')
    throw notFound(`A bulk import job with id ${id} does not exist.`);
  return job;
}

const getJobs: Handler = (req) => {
  const terms = parseOperationFilter(req, 'get_bulk_import_profiles_jobs');
  const sort = parseSort(req, ['created_at']);
  let jobs = [...req.account.jobs.values()].filter(
    (job) => job.type === 'profile-bulk-import-job' && terms.every((term) => matchTerm(term, job.status)),
  );
  if (sort) jobs = jobs.sort((a, b) => (a.createdAt - b.createdAt) * (sort.descending ? -1 : 1));
  const { page, links } = paginate(req, jobs, pageSize(req, 20, 100));
  return { status: 200, body: { data: page.map((job) => importJobResource(req, job)), links } };
};

const getJob: Handler = (req) => {
  const job = requireImportJob(req, req.params.job_id);
  const body: Json = { data: importJobResource(req, job), links: { self: `${req.base}${req.path}` } };
  const include = req.query.get('include');
  if (include) {
    if (include !== 'lists')
      throw invalid(`'${include}' is not an allowed include parameter for this resource.`, {
        parameter: 'include',
      });
    body.included = job.listIds.flatMap((id) => {
      const list = req.account.lists.get(id);
      return list ? [listResource(req, list)] : [];
    });
  }
  return { status: 200, body };
};

const getErrors: Handler = (req) => {
  const job = requireImportJob(req, req.params.id);
  const { page, links } = paginate(req, job.errors, pageSize(req, 20, 100));
  const data = page.map((error) => ({
    type: 'import-error',
    id: error.id,
    attributes: sparse(req, 'import-error', {
      code: error.code,
      title: error.title,
      detail: error.detail,
      source: error.source,
      original_payload: error.original_payload ?? null,
    }),
  }));
  return { status: 200, body: { data, links } };
};

function importedProfiles(req: ApiRequest) {
  const job = requireImportJob(req, req.params.id);
  const profiles = job.resultIds.flatMap((id) => {
    const profile = req.account.profiles.byId.get(id);
    return profile ? [profile] : [];
  });
  return paginate(req, profiles, pageSize(req, 20, 100));
}

function importLists(req: ApiRequest) {
  const job = requireImportJob(req, req.params.id);
  return job.listIds.flatMap((id) => {
    const list = req.account.lists.get(id);
    return list ? [list] : [];
  });
}

function accountResource(req: ApiRequest): Json {
  const account = req.account;
  return {
    type: 'account',
    id: account.id,
    attributes: sparse(req, 'account', {
      test_account: true,
      contact_information: {
        default_sender_name: account.name,
        default_sender_email: 'sandbox@example.com',
        website_url: 'https://example.com',
        organization_name: account.name,
        street_address: {
          address1: null,
          address2: null,
          city: null,
          region: null,
          country: null,
          zip: null,
        },
      },
      industry: null,
      timezone: 'UTC',
      preferred_currency: 'USD',
      public_api_key: account.publicApiKey,
      locale: 'en-US',
    }),
    links: { self: `${req.base}/api/accounts/${account.id}/` },
  };
}

export const importJobHandlers: Record<string, Handler> = {
  get_bulk_import_profiles_jobs: getJobs,
  get_bulk_import_profiles_job: getJob,
  get_errors_for_bulk_import_profiles_job: getErrors,
  get_profiles_for_bulk_import_profiles_job: (req) => {
    const { page, links } = importedProfiles(req);
    return { status: 200, body: { data: page.map((profile) => profileResource(req, profile)), links } };
  },
  get_profile_ids_for_bulk_import_profiles_job: (req) => {
    const { page, links } = importedProfiles(req);
    return {
      status: 200,
      body: { data: page.map((profile) => ({ type: 'profile', id: profile.id })), links },
    };
  },
  get_list_for_bulk_import_profiles_job: (req) => ({
    status: 200,
    body: {
      data: importLists(req).map((list) => listResource(req, list)),
      links: { self: `${req.base}${req.path}` },
    },
  }),
  get_list_ids_for_bulk_import_profiles_job: (req) => ({
    status: 200,
    body: {
      data: importLists(req).map((list) => ({ type: 'list', id: list.id })),
      links: { self: `${req.base}${req.path}` },
    },
  }),
  get_accounts: (req) => ({
    status: 200,
    body: { data: [accountResource(req)], links: { self: `${req.base}/api/accounts/` } },
  }),
  get_account: (req) => {
    if (req.params.id !== req.account.id)
      throw notFound(`An account with id ${req.params.id} does not exist.`);
    return { status: 200, body: { data: accountResource(req), links: { self: `${req.base}${req.path}` } } };
  },
};
