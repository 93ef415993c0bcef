import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * ../shared/klaviyo-openapi beside the project root (two levels above this file). KLAVIYO_OPENAPI_DIR points
 * elsewhere, e.g. for a clone made outside the shared folder's parent.
 */
export const OPENAPI_DIR =
  process.env.KLAVIYO_OPENAPI_DIR ??
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/klaviyo-openapi');

/**
 * Reads a file of the shared OpenAPI folder. Absent on a user's machine: the caller skips with the reason;
 * under CI=true its absence is a failure, so CI never passes by skipping.
 */
export function sharedFile(name: string): { text?: string; skipReason?: string } {
  const path = resolve(OPENAPI_DIR, name);
  if (existsSync(path)) return { text: readFileSync(path, 'utf8') };
  const reason = `${path} is absent; Klaviyo contract checks skipped`;
  if (process.env.CI === 'true') throw new Error(`${reason} — CI needs it`);
  console.log(`# ${reason}`);
  return { skipReason: reason };
}
