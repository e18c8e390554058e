#!/usr/bin/env node
// Starts the tslab kernel with the project root as its working directory, so that notebooks
// import the workbench's TypeScript sources as './src/...' and read runs as './runs/...'.
// tslab type-checks and compiles everything under its working directory (its rootDir).
const path = require('node:path');
const root = path.resolve(__dirname, '..');
process.chdir(root);
require(path.join(root, 'node_modules', 'tslab', 'dist', 'main.js')).startKernel({
  configPath: process.argv[2],
  enableFindLocal: false,
});
