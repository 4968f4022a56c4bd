// Builds the web console into console/dist with esbuild: one hashed script and one hashed
// stylesheet under assets/, an index.html that loads them (no inline script or style, as the
// Content-Security-Policy requires), and the files of public/.
//   node console/build.mjs            build once
//   node console/build.mjs --watch    rebuild on every change (reload the page served by npm start)
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, 'dist');
const watch = process.argv.includes('--watch');

/** Writes index.html naming the files esbuild just produced. */
const writeIndex = {
  name: 'index-html',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0 || !result.metafile) return;
      const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(outdir, file));
      const script = outputs.find((file) => file.endsWith('.js'));
      const style = outputs.find((file) => file.endsWith('.css'));
      const template = readFileSync(path.join(here, 'index.html'), 'utf8');
      writeFileSync(
        path.join(outdir, 'index.html'),
        template
          .replace('<!-- style -->', style ? `<link rel="stylesheet" href="/console/${style}" />` : '')
          .replace('<!-- script -->', `<script type="module" src="/console/${script}"></script>`),
      );
      if (existsSync(path.join(here, 'public'))) cpSync(path.join(here, 'public'), outdir, { recursive: true });
      if (watch) process.stdout.write(`console rebuilt ${new Date().toISOString()}\n`);
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const options = {
  entryPoints: [path.join(here, 'src', 'main.tsx')],
  outdir,
  entryNames: 'assets/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  minify: !watch,
  sourcemap: true,
  metafile: true,
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': JSON.stringify(watch ? 'development' : 'production') },
  logLevel: 'warning',
  plugins: [writeIndex],
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
