// Builds the console (src/web → dist/web) when it is missing or stale, so `npm install` and `npm start`
// keep it current without a separate step. Staleness is a hash of the console's sources (src/web and src/domain, whose constants it bundles) and the
// versions of the packages it is built with, kept next to the output.
//
//   node scripts/build-web.ts          build if stale; fail loudly (npm run build:web)
//   node scripts/build-web.ts --soft   build if stale; on failure warn and exit 0 (postinstall, start)
//   node scripts/build-web.ts --force  build even when up to date
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const webSourceDir = path.join(projectRoot, 'src/web');
export const webOutDir = path.join(projectRoot, 'dist/web');
const HASH_FILE = '.source-hash';
/** Folders outside src/web whose plain constants the console bundles (src/web/types.ts). */
export const SHARED_SOURCE_DIRS = [path.join(projectRoot, 'src/domain')];
const BUILD_PACKAGES = ['vite', '@vitejs/plugin-react', 'react', 'react-dom', 'uplot'];
const STALE_LOCK_MS = 120_000;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(
      readFileSync(path.join(projectRoot, 'node_modules', name, 'package.json'), 'utf8'),
    );
    return String(pkg.version);
  } catch {
    return 'missing';
  }
}

/** Where the console's sources are and where its build goes (tests use folders of their own). */
export interface WebBuildPaths {
  sourceDir: string;
  outDir: string;
}

const defaultPaths: WebBuildPaths = { sourceDir: webSourceDir, outDir: webOutDir };

export function webSourceHash(sourceDir = webSourceDir): string {
  const hash = createHash('sha256');
  for (const dir of [sourceDir, ...SHARED_SOURCE_DIRS]) {
    for (const file of listFiles(dir)) {
      hash.update(path.relative(dir, file));
      hash.update('\0');
      hash.update(readFileSync(file));
      hash.update('\0');
    }
  }
  for (const name of BUILD_PACKAGES) hash.update(`${name}@${packageVersion(name)}\0`);
  return hash.digest('hex');
}

export function isWebBuildCurrent(paths: WebBuildPaths = defaultPaths): boolean {
  const hashFile = path.join(paths.outDir, HASH_FILE);
  if (!existsSync(path.join(paths.outDir, 'index.html')) || !existsSync(hashFile)) return false;
  return readFileSync(hashFile, 'utf8').trim() === webSourceHash(paths.sourceDir);
}

async function withBuildLock<T>(lockDir: string, run: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lockDir), { recursive: true });
  // Two test files (or npm start and a test) may ask at once; a directory is an atomic lock.
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > STALE_LOCK_MS)
          rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // The holder just released it; try again.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await run();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Builds dist/web unless it is current. Answers whether a build ran. */
export async function ensureWebBuilt(
  options: { force?: boolean; paths?: WebBuildPaths } = {},
): Promise<{ built: boolean }> {
  const paths = options.paths ?? defaultPaths;
  if (!options.force && isWebBuildCurrent(paths)) return { built: false };
  const lockDir = path.join(path.dirname(paths.outDir), `.${path.basename(paths.outDir)}-build.lock`);
  return withBuildLock(lockDir, async () => {
    if (!options.force && isWebBuildCurrent(paths)) return { built: false };
    const hash = webSourceHash(paths.sourceDir);
    const { build } = await import('vite');
    const configFile = path.join(paths.sourceDir, 'vite.config.ts');
    await build({
      root: paths.sourceDir,
      configFile: existsSync(configFile) ? configFile : false,
      logLevel: 'warn',
      build: { outDir: paths.outDir, emptyOutDir: true },
    });
    writeFileSync(path.join(paths.outDir, HASH_FILE), `${hash}\n`);
    return { built: true };
  });
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const soft = args.has('--soft');
  try {
    const started = Date.now();
    const { built } = await ensureWebBuilt({ force: args.has('--force') });
    if (built) console.log(`console built into dist/web in ${Date.now() - started} ms`);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (!soft) {
      console.error(`console build failed: ${reason}`);
      process.exit(1);
    }
    const have = existsSync(path.join(webOutDir, 'index.html'));
    console.warn(
      `console build skipped (${reason.split('\n')[0]}); ${have ? 'serving the previous build' : 'run `npm run build:web` after installing the dev dependencies'}`,
    );
  }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) await main();
