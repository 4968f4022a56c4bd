// npm runs this after `npm install` and `npm ci` (the "prepare" script): it builds the web console
// into console/dist so that `npm install && npm start` serves it. When the build tool is not
// installed (`npm ci --omit=dev`), it says so and leaves the build to `npm run build:console`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
try {
  createRequire(path.join(here, '..', 'package.json')).resolve('esbuild');
} catch {
  process.stderr.write('latchkey: esbuild is not installed (production install?): the web console was not built. Run `npm run build:console` where dev dependencies are installed.\n');
  process.exit(0);
}
if (!existsSync(path.join(here, 'src', 'main.tsx'))) process.exit(0);
const result = spawnSync(process.execPath, [path.join(here, 'build.mjs')], { stdio: 'inherit' });
if (result.status !== 0) {
  process.stderr.write('latchkey: building the web console failed (see above).\n');
  process.exit(result.status ?? 1);
}
process.stdout.write('latchkey: web console built into console/dist\n');
