#!/usr/bin/env node
// The `klaviyo-sync` command. The CLI is TypeScript run by Node's type stripping (Node 24).
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`klaviyo-sync needs Node.js 24 or newer (this is ${process.version}).`);
  process.exit(1);
}
await import('../src/cli/main.ts');
