#!/usr/bin/env node
// Entry point of the `latchkey` command. From a source checkout it runs the TypeScript through
// tsx; in the container image (no sources, compiled dist/) it runs the compiled CLI.
import { existsSync } from 'node:fs';

const source = new URL('../server/cli/main.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import(new URL('../dist/server/cli/main.js', import.meta.url).href);
}
process.exitCode = await cli.runCli(process.argv.slice(2));
