// Preload for a child process (node --import ./tests/helpers/record-modules.mjs): writes every
// module it loaded, ES modules and CommonJS alike, one per line to MODULES_FILE when it exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.MODULES_FILE;
if (!file) throw new Error('record-modules.mjs needs MODULES_FILE');
// ES modules: a load hook (it runs on the loader's thread) appends each URL as it loads.
register('./record-modules-hooks.mjs', import.meta.url, { data: { file } });
// CommonJS modules, loaded by require() outside the hooks: the require cache, at exit.
const { cache } = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(file, Object.keys(cache).map((filename) => `${filename}\n`).join('')));
