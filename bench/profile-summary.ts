// Summarizes a V8 CPU profile (from `npm run bench -- --profile`): self time by package and the
// functions with the most self time.
//
//   node --import tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArgument] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArgument ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

// Self time per node: each sample's delta is charged to the node sampled.
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);

function packageOf(url: string): string {
  if (url === '') return '(native/V8)';
  if (url.startsWith('node:')) return 'node core';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1] as string;
  return url.includes('/server/') ? 'latchkey server/' : 'other';
}

const packages = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const pkg = functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)' ? functionName : packageOf(url);
  packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
  const where = url.includes('/node_modules/') ? url.slice(url.lastIndexOf('/node_modules/') + 14) : url.replace(/^file:\/\/.*?\/(server|bench|config)\//, '$1/');
  const name = `${functionName || '(anonymous)'} ${url ? `${where}:${lineNumber + 1}` : ''}`;
  functions.set(name, (functions.get(name) ?? 0) + micros);
}

const percent = (micros: number) => `${((micros / total) * 100).toFixed(1).padStart(5)}%`;
const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time by package\n`);
for (const [name, micros] of sorted(packages).slice(0, top)) process.stdout.write(`${percent(micros)}  ${name}\n`);
process.stdout.write(`\nself time by function (top ${top})\n`);
for (const [name, micros] of sorted(functions).slice(0, top)) process.stdout.write(`${percent(micros)}  ${name}\n`);
