// Child processes the suite measures: started here, sampled for memory while a run lasts, stopped
// by pid. The load generator stays in the parent, so a server never shares its event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../config/index.js';

export interface ChildServer {
  url: string;
  pid: number;
  /** Where the child's stdout and stderr go (a file: the server's request log is part of its cost). */
  logFile: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Environment of a child: ours without database settings, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _d, TEST_DATABASE_URL: _t, WORKERS: _w, ...rest } = process.env;
  return { ...rest, ...env };
}

/** The suite's build of the server and its own child entries (see run.ts and bench/tsconfig.build.json). */
export const COMPILED_DIR = path.join(projectRoot, 'bench/results/dist');

let fromSource = false;
/** Run children from the TypeScript sources through tsx instead of the compiled build. */
export function runFromSource(value: boolean) {
  fromSource = value;
}

let profileDir: string | undefined;
/** Children write V8 CPU profiles (--cpu-prof) into `dir` when they exit. */
export function profileInto(dir: string | undefined) {
  profileDir = dir;
}

/**
 * The node options `npm start` gives the server (its V8 heap settings), read from package.json so
 * that the suite measures the server as operators run it.
 */
export function serverNodeOptions(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (scripts.start ?? '').split(/\s+/);
  if (words[0] !== 'node') throw new Error('package.json\'s start script no longer starts with node: update serverNodeOptions');
  return words.slice(1, words.indexOf('--import'));
}

/**
 * The command line of a TypeScript entry of the project: its compiled .js, or tsx on the source.
 * `extra` node options come after the server's own (for V8 flags, the last one given wins).
 */
export function nodeArguments(entry: string, extra: string[] = []): string[] {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const options = [...(entry === 'server/main.ts' ? serverNodeOptions() : []), ...extra];
  return fromSource
    ? [...profile, ...options, '--import', 'tsx', path.resolve(projectRoot, entry)]
    : [...profile, ...options, path.join(COMPILED_DIR, entry.replace(/\.ts$/, '.js'))];
}

/**
 * Runs a TypeScript entry of the project (compiled, or with tsx) with its output in `logFile`, and
 * waits until `readyPath` answers 200.
 */
export async function startChild(options: {
  entry: string;
  env: Record<string, string>;
  port: number;
  logFile: string;
  readyPath?: string;
  /** Node options after the entry's own (see nodeArguments). */
  nodeOptions?: string[];
  timeoutMs?: number;
}): Promise<ChildServer> {
  const { entry, env, port, logFile, readyPath = '/readyz', timeoutMs = 60_000, nodeOptions = [] } = options;
  const out = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, nodeArguments(entry, nodeOptions), {
      cwd: projectRoot,
      env: childEnv(env),
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    running.delete(stop);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  running.add(stop);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      if ((await fetch(`${url}${readyPath}`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      running.delete(stop);
      child.kill('SIGKILL');
      throw new Error(`${entry} did not become ready; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid as number,
    logFile,
    stop,
  };
}

/** Stops of the children still running, for an interrupted run. */
const running = new Set<() => Promise<void>>();

/** Stops every child this process started and has not stopped yet. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((stop) => stop()));
}

/** pid and every descendant (workers, if the server forks any), from /proc. */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i] as number) ?? []));
  return tree;
}

function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, ms; 0 once it has exited. */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * Measures the CPU time `pid` and its descendants spend until stopped, ms. On a machine shared
 * with the load generator this is steadier than throughput: it is what each request costs the
 * server, whatever else runs meanwhile.
 */
export function measureCpu(pid: number): { stop(): number } {
  const tree = processTree(pid);
  const start = new Map(tree.map((member) => [member, cpuMs(member)]));
  return {
    stop() {
      let total = 0;
      for (const member of processTree(pid)) total += cpuMs(member) - (start.get(member) ?? 0);
      return total;
    },
  };
}

/**
 * Samples the resident set of `pid` and its descendants every `intervalMs` until stopped; returns
 * the highest RSS any single process reached (the limit is per process).
 */
export function sampleRss(pid: number, intervalMs = 200): { stop(): number } {
  let peak = 0;
  let tree = processTree(pid);
  let ticks = 0;
  const sample = () => {
    if (++ticks % 10 === 0) tree = processTree(pid); // workers may come later
    for (const member of tree) peak = Math.max(peak, rssMb(member));
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
