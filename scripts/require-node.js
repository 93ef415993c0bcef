// Stops with a plain sentence when Node.js is older than 24, before anything loads TypeScript (which older
// versions cannot run: they would end in a stack trace about the `.ts` extension). Plain JavaScript on
// purpose, so any Node.js can run it. `npm start`, `npm run build:web` and bin/klaviyo-sync.js run it first.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `klaviyo-sync needs Node.js 24 or newer (this is ${process.version}, at ${process.execPath}).\n` +
      'Install Node.js 24 LTS: from https://nodejs.org/en/download, with a version manager\n' +
      '(nvm install 24, fnm install 24, volta install node@24), or with your system package manager;\n' +
      'then check `node --version` and run the command again.\n',
  );
  process.exit(1);
}
