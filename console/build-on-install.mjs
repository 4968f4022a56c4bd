// npm runs this after `npm install` and `npm ci` (the "prepare" script): it builds the web console
// into console/dist so that `npm install && npm start` serves it. When the build tools are not
// installed (`npm ci --omit=dev`), it says so and leaves the build to `npm run build:console`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let vite;
try {
  vite = createRequire(path.join(root, 'package.json')).resolve('vite/bin/vite.js');
} catch {
  process.stderr.write('latchkey: vite is not installed (production install?): the web console was not built. Run `npm run build:console` where dev dependencies are installed.\n');
  process.exit(0);
}
if (!existsSync(path.join(root, 'console', 'index.html'))) process.exit(0);
const result = spawnSync(process.execPath, [vite, 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  process.stderr.write('latchkey: building the web console failed (see above).\n');
  process.exit(result.status ?? 1);
}
process.stdout.write('latchkey: web console built into console/dist\n');
