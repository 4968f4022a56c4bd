// Baseline and Latchkey token-warm (one client) measured in alternation: baseline run, Latchkey
// run, baseline run, ... so that load coming and going on a shared machine falls on both sides
// alike. The quick loop for optimisation work; `npm run bench` remains the full report.
//
//   npm run bench:pair -- [--runs 5] [--seconds 5] [--connections 10] [--workers N] [--node-options '...'] [--node-args '...'] [--env K=V ...] [--profile]
//
// --node-options: NODE_OPTIONS for the Latchkey server only (V8 heap settings, for instance).
// --node-args: node options on the Latchkey server's command line after npm start's own, so they
//   override them; for V8 flags NODE_OPTIONS refuses (--node-args=--heap-growing-percent=200).
// --env: a setting for the Latchkey server only (LOG_LEVEL=warn, for instance), repeatable.
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { projectRoot } from '../config/index.js';
import { tokenRequests } from './lib/context.js';
import { createClient, createLatchkey, fetchToken } from './lib/latchkey.js';
import { measureHttp, runAutocannon } from './lib/load.js';
import { startBaseline } from './lib/baseline-server.js';
import { profileInto, stopAllChildren } from './lib/processes.js';
import { nodeArgs, serverEnv } from './lib/server-settings.js';
import { median, type Measurement } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    workers: { type: 'string' },
    'node-options': { type: 'string' },
    'node-args': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    profile: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
// Read before anything starts, so that a malformed --env stops the run at once.
const serverSettings = serverEnv({ workers: values.workers, nodeOptions: values['node-options'], env: values.env });
const serverNodeArgs = nodeArgs(values['node-args']);

process.stderr.write('compiling server/ and bench/ (tsc -p bench/tsconfig.build.json)\n');
execFileSync(process.execPath, [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'bench/tsconfig.build.json'], { cwd: projectRoot, stdio: 'inherit' });
const logDir = mkdtempSync(path.join(os.tmpdir(), 'latchkey-pair-'));
process.stderr.write(`server logs: ${logDir}\n`);
if (values.profile) {
  const profiles = path.join(projectRoot, 'bench/results/profiles');
  mkdirSync(profiles, { recursive: true });
  profileInto(profiles);
}

const baseline = await startBaseline(logDir);
const latchkey = await createLatchkey({
  embedded: false,
  logDir,
  name: 'latchkey',
  nodeOptions: serverNodeArgs,
  env: serverSettings,
});
try {
  const client = await latchkey.seed((services) => createClient(services));
  const server = await latchkey.start();
  await fetchToken(server.url, client.client_id, client.client_secret);
  const load = tokenRequests(server.url, [client], connections);
  const sides = [
    { name: 'baseline', measure: () => baseline.measure(connections, seconds, 3), runs: [] as Measurement[] },
    { name: 'latchkey', measure: () => measureHttp({ ...load, duration: seconds }, server.pid), runs: [] as Measurement[] },
  ];
  await runAutocannon({ ...load, duration: 3 });
  for (let run = 0; run < runs; run++) {
    for (const side of sides) {
      const result = await side.measure();
      side.runs.push(result);
      process.stderr.write(
        `${side.name} run ${run + 1}/${runs}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms, ${result.errors} errors, RSS ${Math.round(result.peakRssMb)} MB, CPU ${(result.cpuMsPerRequest ?? Number.NaN).toFixed(3)} ms/req\n`,
      );
    }
  }
  const [base, mine] = sides.map((side) => ({
    rps: median(side.runs.map((r) => r.requestsPerSecond)),
    p99: median(side.runs.map((r) => r.p99Ms)),
    cpu: median(side.runs.map((r) => r.cpuMsPerRequest ?? Number.NaN)),
    rss: Math.max(...side.runs.map((r) => r.peakRssMb)),
    errors: side.runs.reduce((sum, r) => sum + r.errors, 0),
  })) as [{ rps: number; p99: number; cpu: number; rss: number; errors: number }, { rps: number; p99: number; cpu: number; rss: number; errors: number }];
  // Per-run ratios against the baseline run just before, then their median.
  const runRatios = sides[1]!.runs.map((r, i) => r.requestsPerSecond / sides[0]!.runs[i]!.requestsPerSecond);
  process.stdout.write(
    [
      `| side | req/s | p99 ms | CPU ms/req | peak RSS MB | errors |`,
      `|---|--:|--:|--:|--:|--:|`,
      `| baseline | ${Math.round(base.rps)} | ${base.p99} | ${base.cpu.toFixed(3)} | ${Math.round(base.rss)} | ${base.errors} |`,
      `| latchkey${values.workers ? `, ${values.workers} workers` : ''} | ${Math.round(mine.rps)} | ${mine.p99} | ${mine.cpu.toFixed(3)} | ${Math.round(mine.rss)} | ${mine.errors} |`,
      '',
      `req/s ratio ${(mine.rps / base.rps).toFixed(2)}× (median of per-run ratios ${median(runRatios).toFixed(2)}×), p99 ratio ${(mine.p99 / base.p99).toFixed(2)}×, CPU per request ratio ${(mine.cpu / base.cpu).toFixed(2)}×`,
      '',
    ].join('\n'),
  );
} finally {
  await latchkey.dispose();
  await baseline.stop();
  await stopAllChildren();
}
