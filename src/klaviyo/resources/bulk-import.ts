import { endpoint } from '../endpoints.ts';
import { fetchPage, iterateAll, type KlaviyoResource, type Page, pageSize } from '../pagination.ts';
import type { KlaviyoTransport } from '../transport.ts';
import { type ProfileImportInput, profileBody } from './profiles.ts';
import { type Attributes, checkBatch, defined, job, newJob } from './shared.ts';

export interface BulkImportJobAttributes extends Attributes {
  status?: 'queued' | 'processing' | 'complete' | 'cancelled';
  total_count?: number;
  completed_count?: number;
  failed_count?: number;
  created_at?: string;
  started_at?: string | null;
  completed_at?: string | null;
  expires_at?: string | null;
}

export function bulkImportBody(profiles: readonly ProfileImportInput[], listIds: readonly string[] = []) {
  return {
    data: defined({
      type: 'profile-bulk-import-job',
      attributes: {
        profiles: { data: profiles.map((p) => profileBody(p.attributes, p.id, p.meta).data) },
      },
      relationships:
        listIds.length > 0 ? { lists: { data: listIds.map((id) => ({ type: 'list', id })) } } : undefined,
    }),
  };
}

export function bulkImportResource(transport: KlaviyoTransport) {
  const maxPage = (op: string) => endpoint(op).maxPageSize;
  return {
    /** Starts a job (202); up to 10,000 profiles, optionally added to lists. */
    async create(
      profiles: readonly ProfileImportInput[],
      options: { listIds?: readonly string[] } = {},
    ): Promise<KlaviyoResource<BulkImportJobAttributes>> {
      checkBatch('bulk_import_profiles', profiles.length);
      const answer = await transport.call('bulk_import_profiles', {
        body: bulkImportBody(profiles, options.listIds),
      });
      return newJob<BulkImportJobAttributes>(answer);
    },
    async get(jobId: string): Promise<KlaviyoResource<BulkImportJobAttributes>> {
      const answer = await transport.call('get_bulk_import_profiles_job', {
        pathParams: { job_id: jobId },
      });
      return job<BulkImportJobAttributes>(answer);
    },
    importErrors(jobId: string, options: { pageSize?: number; next?: string } = {}): Promise<Page> {
      const op = 'get_errors_for_bulk_import_profiles_job';
      if (options.next) return fetchPage(transport, op, { url: options.next });
      return fetchPage(transport, op, {
        pathParams: { id: jobId },
        query: { 'page[size]': pageSize(options.pageSize, maxPage(op)) },
      });
    },
    iterateImportErrors(jobId: string): AsyncGenerator<KlaviyoResource> {
      const op = 'get_errors_for_bulk_import_profiles_job';
      return iterateAll(transport, op, { pathParams: { id: jobId }, query: { 'page[size]': maxPage(op) } });
    },
    iterateImportedProfiles(jobId: string): AsyncGenerator<KlaviyoResource> {
      const op = 'get_profiles_for_bulk_import_profiles_job';
      return iterateAll(transport, op, { pathParams: { id: jobId }, query: { 'page[size]': maxPage(op) } });
    },
  };
}
