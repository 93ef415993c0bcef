#!/usr/bin/env node
// The `klaviyo-sync` command. The CLI is TypeScript run by Node's type stripping (Node 24), so the version
// check (plain JavaScript) runs first.
import '../scripts/require-node.js';

await import('../src/cli/main.ts');
