// The server's node options (its V8 heap settings) are written in package.json's start script;
// the container image and the benchmark suite must start it with the same ones.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { serverNodeOptions } from '../../bench/lib/processes.js';
import { projectRoot } from '../../config/index.js';

it('starts the server with the same node options in npm start, the Dockerfile and the benchmarks', () => {
  const options = serverNodeOptions();
  expect(options).toEqual(['--max-old-space-size=512', '--max-semi-space-size=8', '--heap-growing-percent=100']);
  const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  expect(JSON.parse(cmd?.[1] ?? '[]')).toEqual(['node', ...options, 'dist/server/main.js']);
});
