// npm run bench: starts every server it measures in a child process, warms up, runs each scenario
// variant several times and prints a markdown table of medians, with ratios to the baseline
// measured in the same run, the issue's targets, and the machine. Writes bench/results/latest.json.
//
//   npm run bench                               every scenario, 3 runs of 10 s each
//   npm run bench -- --quick                    smoke run: 1 short run, smaller data sets
//   npm run bench -- --only baseline,token-warm --runs 5 --seconds 15
//   npm run bench -- --workers 2                passes WORKERS=2 to the token scenarios' servers
//   npm run bench -- --source                   runs the servers from TypeScript (tsx) instead of a build
//   npm run bench -- --profile                  servers write CPU profiles into bench/results/profiles
//
// By default the servers run compiled, as the container image runs them: the suite first compiles
// server/ and its own child entries into bench/results/dist (tsc, bench/tsconfig.build.json).
// Under tsx every process holds the loader and its transform cache too (some 35 MB more RSS).
//
// PostgreSQL: BENCH_DATABASE_URL (else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
// names a role that may create databases; each scenario creates its own and drops it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateKeyPair, SignJWT } from 'jose';
import { projectRoot } from '../config/index.js';
import type { BenchOptions, Scenario, ScenarioContext } from './lib/context.js';
import { startBaseline, type BaselineServer } from './lib/baseline-server.js';
import { ADMIN_DATABASE_URL, disposeAll } from './lib/latchkey.js';
import { COMPILED_DIR, profileInto, runFromSource, stopAllChildren } from './lib/processes.js';
import { evaluateTargets, formatTable, medianOf, type ResultRow } from './lib/stats.js';
import { baseline } from './scenarios/baseline.js';
import { embedded } from './scenarios/embedded.js';
import { introspection } from './scenarios/introspection.js';
import { middleware } from './scenarios/middleware.js';
import { scale } from './scenarios/scale.js';
import { tokenCold } from './scenarios/token-cold.js';
import { tokenWarm } from './scenarios/token-warm.js';
import { targetsFor } from './targets.js';

const SCENARIOS: Scenario[] = [baseline, tokenWarm, tokenCold, introspection, middleware, scale, embedded];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    runs: { type: 'string' },
    seconds: { type: 'string' },
    workers: { type: 'string' },
    source: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    `npm run bench -- [--quick] [--only a,b] [--runs N] [--seconds S] [--workers N] [--source] [--profile]\n\nScenarios:\n${SCENARIOS.map((s) => `  ${s.name.padEnd(14)} ${s.description}`).join('\n')}\n`,
  );
  process.exit(0);
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    process.stderr.write(`--${name} must be a whole number of at least 1\n`);
    process.exit(2);
  }
  return parsed;
}

const only = values.only?.split(',').map((name) => name.trim()).filter(Boolean);
const unknown = only?.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}; one of ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}

const quick = values.quick;
const resultsDir = path.join(projectRoot, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const options: BenchOptions = {
  runs: positiveInteger('runs', values.runs, quick ? 1 : 3),
  seconds: positiveInteger('seconds', values.seconds, quick ? 2 : 10),
  warmupSeconds: quick ? 1 : 3,
  quick,
  workers: values.workers === undefined ? undefined : positiveInteger('workers', values.workers, 1),
  coldClients: quick ? 20 : 100,
  scaleClients: quick ? 10_000 : 100_000,
  auditEvents: quick ? 100_000 : 1_000_000,
  logDir: mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-logs-')),
};

const started = new Date();
const log = (message: string) => process.stderr.write(`${message}\n`);
let baselineServer: Promise<BaselineServer> | undefined;
const context: ScenarioContext = {
  options,
  log,
  baseline: () => (baselineServer ??= startBaseline(options.logDir)),
};

function machine() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot, encoding: 'utf8' }).trim();
  } catch {
    // not a checkout
  }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
    commit,
  };
}

/**
 * A yardstick for comparing machines: ES256 JWTs signed one after the other with jose for a
 * second (every token request ends in one such signature).
 */
async function signaturesPerSecond(): Promise<number> {
  const { privateKey } = await generateKeyPair('ES256');
  const sign = () => new SignJWT({ sub: 'yardstick' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).sign(privateKey);
  for (let i = 0; i < 200; i++) await sign();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < 1000) {
    await sign();
    count++;
  }
  return Math.round(count / ((performance.now() - started) / 1000));
}

runFromSource(values.source);
if (values.profile) {
  // Profiling slows the servers: the figures of such a run are not comparable with others.
  const profiles = path.join(resultsDir, 'profiles');
  mkdirSync(profiles, { recursive: true });
  profileInto(profiles);
  log(`CPU profiles: ${path.relative(projectRoot, profiles)} (one .cpuprofile per child process)`);
}
if (!values.source) {
  log(`compiling the servers into ${path.relative(projectRoot, COMPILED_DIR)} (tsc -p bench/tsconfig.build.json)`);
  rmSync(COMPILED_DIR, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', path.join(projectRoot, 'bench/tsconfig.build.json')], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
}

const host = { ...machine(), es256SignaturesPerSecond: await signaturesPerSecond() };
log(`latchkey bench: ${options.runs} run(s) of ${options.seconds} s per variant${quick ? ' (quick)' : ''}; logs in ${options.logDir}; PostgreSQL ${new URL(ADMIN_DATABASE_URL).host}`);

// Ctrl-C (or SIGTERM): stop the servers and drop the databases before leaving; a second one quits.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping the servers and dropping the benchmark databases`);
    disposeAll()
      .then(stopAllChildren)
      .catch((error: unknown) => log(`cleanup failed: ${String(error)}`))
      .finally(() => process.exit(130));
  });
}

const rows: ResultRow[] = [];
const failures: Array<{ scenario: string; error: string }> = [];
for (const scenario of SCENARIOS) {
  if (interrupted) break;
  if (only && !only.includes(scenario.name)) continue;
  log(`${scenario.name}: ${scenario.description}`);
  try {
    rows.push(...(await scenario.run(context)));
  } catch (error) {
    // One broken scenario should not cost the others' figures; it is reported and fails the run.
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`${scenario.name} FAILED: ${message}`);
    failures.push({ scenario: scenario.name, error: message });
  }
}

await (await baselineServer?.catch(() => undefined))?.stop();

// An interrupted run reports nothing (a partial table would overwrite latest.json): the signal
// handler exits once its cleanup is done.
if (interrupted) await new Promise(() => undefined);

const loadAverageAtEnd = os.loadavg().map((value) => Math.round(value * 100) / 100);
const targets = evaluateTargets(targetsFor(rows), rows);
const table = formatTable(rows, targets);
const header = [
  `Machine: ${host.cores} × ${host.cpu}, ${host.memoryGb} GB, Node ${host.node}, ${host.os}; ${host.es256SignaturesPerSecond.toLocaleString('en-US')} ES256 signatures/s one at a time (jose); load average at start ${host.loadAverageAtStart.join(' ')}, at end ${loadAverageAtEnd.join(' ')}; commit ${host.commit}`,
  `Medians of ${options.runs} run(s) of ${options.seconds} s${quick ? ' (--quick: smaller data sets)' : ''}; servers ${values.source ? 'from TypeScript sources (tsx)' : 'compiled (tsc)'}${values.profile ? ', profiled (--cpu-prof: slower)' : ''}; load generator (autocannon) on the same host; ${started.toISOString()}.`,
];
const notes = rows.filter((row) => row.note).map((row) => `- ${row.label}: ${row.note}`);
process.stdout.write(`\n${header.join('\n')}\n\n${table}\n${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`);
if (failures.length > 0) process.stdout.write(`\nFailed scenarios: ${failures.map((f) => f.scenario).join(', ')}\n`);

writeFileSync(
  path.join(resultsDir, 'latest.json'),
  `${JSON.stringify(
    {
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { ...host, loadAverageAtEnd },
      options: { ...options, logDir: undefined, source: values.source },
      rows: rows.map((row) => ({ ...row, median: medianOf(row.runs) })),
      targets,
      failures,
      table,
    },
    null,
    2,
  )}\n`,
);
log(`results: ${path.relative(process.cwd(), path.join(resultsDir, 'latest.json'))}`);
process.exit(failures.length > 0 || targets.some((target) => target.description === '0 errors' && !target.met) ? 1 : 0);
