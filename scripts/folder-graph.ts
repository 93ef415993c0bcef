// Prints the import graph between the top-level folders of src/ (type-only imports and module
// augmentations included) and fails when it has a cycle or an edge that does not point down the layer
// order below. The layers and why they are ordered so: docs/architecture.md.
//
//   node scripts/folder-graph.ts              check this project's src/ (npm run folder-graph, CI)
//   node scripts/folder-graph.ts --src DIR    check another tree (the script's own test)
//
// Exit 0 when every edge points to a lower layer; 1 on a cycle, an edge to the same or a higher layer, or
// a folder that no layer names (a new folder must be placed in a layer here first).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Bottom first. A folder may import only folders of lower layers (not those of its own layer). A
 * top-level file counts as a folder of its name without the extension (src/app.ts is `app`).
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['domain', 'config', 'demo', 'sandbox'], // vocabulary, settings, sample data, the Klaviyo stand-in
  ['secrets'],
  ['store'],
  ['klaviyo'], // the Klaviyo API client
  ['service'], // the service context every area receives
  ['http', 'subscriptions'], // the auth guard; subscription lookup, status, connection test, routes
  ['hub'],
  ['mapping'],
  ['transfer'],
  ['oauth', 'webhooks'],
  ['flows'],
  ['server'], // builds the HTTP app from the areas' routes
  ['app'], // the composition root
  ['cli', 'web'], // the command and the console
];

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// import … from '…', export … from '…', import '…', import('…'), declare module '…'.
const SPECIFIER =
  /(?:^|[\n;])\s*(?:import|export)\b[^;'"]*?\bfrom\s*(['"])([^'"]+)\1|(?:^|[\n;])\s*import\s*(['"])([^'"]+)\3|\bimport\(\s*(['"])([^'"]+)\5\s*\)|\bdeclare\s+module\s+(['"])([^'"]+)\7/g;

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out.sort();
}

/** The top-level folder (or top-level file's name) a path in src/ belongs to; undefined outside src/. */
function topOf(srcDir: string, file: string): string | undefined {
  const rel = path.relative(srcDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  return parts.length === 1 ? parts[0].replace(/\.[^.]+$/, '') : parts[0];
}

export interface FolderGraph {
  /** from → to → the files that make the edge (as `file -> imported`). */
  edges: Map<string, Map<string, string[]>>;
  folders: Set<string>;
}

export function folderGraph(srcDir: string): FolderGraph {
  const edges = new Map<string, Map<string, string[]>>();
  const folders = new Set<string>();
  for (const file of sourceFiles(srcDir)) {
    const from = topOf(srcDir, file)!;
    folders.add(from);
    const text = stripComments(readFileSync(file, 'utf8'));
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[2] ?? m[4] ?? m[6] ?? m[8];
      if (!spec?.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      const to = topOf(srcDir, target);
      if (!to || to === from) continue;
      const byTarget = edges.get(from) ?? new Map<string, string[]>();
      edges.set(from, byTarget);
      const why = byTarget.get(to) ?? [];
      byTarget.set(to, why);
      why.push(`${path.relative(srcDir, file)} -> ${path.relative(srcDir, target)}`);
    }
  }
  return { edges, folders };
}

/** Strongly connected components with more than one folder (Tarjan). */
export function cycles(graph: FolderGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...graph.edges.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

export interface Problems {
  cycles: string[][];
  /** Edges to a folder of the same or a higher layer. */
  notDown: { from: string; to: string; why: string[] }[];
  /** Folders (sources or targets of an edge) that no layer names. */
  unplaced: string[];
}

export function check(graph: FolderGraph, layers: readonly (readonly string[])[] = LAYERS): Problems {
  const layerOf = new Map<string, number>();
  layers.forEach((names, i) => {
    for (const name of names) layerOf.set(name, i);
  });
  const seen = new Set(graph.folders);
  for (const targets of graph.edges.values()) for (const to of targets.keys()) seen.add(to);
  const notDown: Problems['notDown'] = [];
  for (const [from, targets] of graph.edges) {
    for (const [to, why] of targets) {
      const a = layerOf.get(from);
      const b = layerOf.get(to);
      if (a !== undefined && b !== undefined && b >= a) notDown.push({ from, to, why });
    }
  }
  return {
    cycles: cycles(graph),
    notDown,
    unplaced: [...seen].filter((f) => !layerOf.has(f)).sort(),
  };
}

function main(argv: string[]): number {
  const at = argv.indexOf('--src');
  const srcDir = path.resolve(at >= 0 && argv[at + 1] ? argv[at + 1] : path.join(projectRoot, 'src'));
  const graph = folderGraph(srcDir);
  const problems = check(graph);
  console.log(`folder graph of ${path.relative(process.cwd(), srcDir) || '.'} (layers bottom first):`);
  for (const [i, names] of LAYERS.entries()) console.log(`  ${i}: ${names.join(', ')}`);
  console.log('edges:');
  for (const from of [...graph.edges.keys()].sort()) {
    const targets = graph.edges.get(from)!;
    console.log(`  ${from} -> ${[...targets.keys()].sort().join(', ')}`);
  }
  console.log(`cycles: ${problems.cycles.length}`);
  for (const c of problems.cycles) console.log(`  cycle: ${c.join(', ')}`);
  console.log(`edges not pointing down: ${problems.notDown.length}`);
  for (const e of problems.notDown) {
    console.log(`  ${e.from} -> ${e.to}`);
    for (const w of e.why) console.log(`    ${w}`);
  }
  if (problems.unplaced.length)
    console.log(`folders in no layer (add them to LAYERS): ${problems.unplaced.join(', ')}`);
  const failed = problems.cycles.length + problems.notDown.length + problems.unplaced.length > 0;
  console.log(failed ? 'folder graph: FAILED' : 'folder graph: ok');
  return failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
