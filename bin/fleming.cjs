#!/usr/bin/env node
// The `fleming` command: runs the TypeScript sources directly through tsx (no build step).
require('tsx/cjs');
require('../src/cli.ts').main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    process.stderr.write(`fleming: ${err && err.message ? err.message : err}\n`);
    if (process.env.FLEMING_DEBUG) console.error(err);
    process.exit(1);
  },
);
