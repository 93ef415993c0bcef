// The data folder holds the embedded store (customers' personal data) and the secret key file, so only
// the service's own user may read it: the folder is 0700 and its files 0600, whatever the umask. New
// files are made with those modes; an install made by an older version (0755 / 0644) is tightened at
// start, and the start fails with a clear message only when the modes cannot be changed (another owner).
// See docs/security.md.
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';

export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

export class DataFolderError extends Error {}

/** Makes the folder (0700) when missing; answers the paths whose modes had to be tightened. */
export function prepareDataDir(dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  return tighten([dir], DATA_DIR_MODE);
}

/** Creates the SQLite file empty with mode 0600 before SQLite opens it (SQLite gives its WAL and SHM the same). */
export function createPrivateFile(file: string): void {
  if (!existsSync(file)) writeFileSync(file, '', { mode: DATA_FILE_MODE, flag: 'a' });
}

/** The SQLite file and its WAL and SHM (those present) at 0600; answers the paths that were tightened. */
export function secureSqliteFiles(file: string): string[] {
  return tighten([file, `${file}-wal`, `${file}-shm`, `${file}-journal`].filter(existsSync), DATA_FILE_MODE);
}

function tighten(paths: string[], wanted: number): string[] {
  const changed: string[] = [];
  for (const p of paths) {
    const mode = statSync(p).mode & 0o777;
    if ((mode & ~wanted & 0o777) === 0) continue;
    try {
      chmodSync(p, mode & wanted);
    } catch (cause) {
      throw new DataFolderError(
        `${p} is readable by other users (mode ${mode.toString(8)}) and its mode cannot be changed by this user; run chmod ${wanted.toString(8)} on it.`,
        { cause },
      );
    }
    changed.push(`${p} (was ${mode.toString(8)})`);
  }
  return changed;
}
