// Runs every benchmark one after another (each in its own process, so none disturbs another's memory
// figures) and writes what they printed to docs/benchmarks.md with the date and the machine.
// Run: npm run bench [-- name ...]   e.g. npm run bench -- client mapping
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ALL = ['client', 'sandbox', 'mapping', 'hub', 'flows-load'];
const chosen = process.argv.slice(2).filter((a) => ALL.includes(a));
const names = chosen.length > 0 ? chosen : ALL;
const root = path.resolve(import.meta.dirname, '..');

const sections: string[] = [];
for (const name of names) {
  console.log(`\n=== bench/${name}.ts`);
  const r = spawnSync(process.execPath, [path.join(root, 'bench', `${name}.ts`)], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(r.stdout ?? '');
  const status = r.status === 0 ? '' : ` (exited with ${r.status ?? r.signal})`;
  sections.push(`## bench/${name}.ts${status}\n\n\`\`\`\n${(r.stdout ?? '').trim()}\n\`\`\`\n`);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version},`,
  `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB. Figures vary with what else the`,
  'machine is doing; they are measurements, not guarantees, and no test asserts them.',
  '',
].join('\n');
writeFileSync(path.join(root, 'docs', 'benchmarks.md'), `${header}\n${sections.join('\n')}`);
console.log('\nwrote docs/benchmarks.md');
