// Prints the markdown of a finished run (bench/results/latest.json, or the file named) for
// docs/benchmarks.md: the machine, the command, the table of medians and the notes.
//
//   node --import tsx bench/report.ts [bench/results/latest.json]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/index.js';
import { formatTable, type ResultRow, type TargetResult } from './lib/stats.js';

interface Results {
  startedAt: string;
  finishedAt: string;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; os: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[]; commit: string; es256SignaturesPerSecond?: number };
  options: { runs: number; seconds: number; quick: boolean; workers?: number; source?: boolean };
  command?: string;
  rows: ResultRow[];
  targets: TargetResult[];
}

const file = process.argv[2] ?? path.join(projectRoot, 'bench/results/latest.json');
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
const { machine, options } = results;
const lines = [
  `- Command: \`${results.command ?? 'npm run bench'}\` (${options.runs} runs of ${options.seconds} s per variant, medians${options.quick ? ', --quick' : ''}), commit ${machine.commit}, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC.`,
  `- Machine: ${machine.cores} × ${machine.cpu}, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.os}${machine.es256SignaturesPerSecond ? `; ${machine.es256SignaturesPerSecond.toLocaleString('en-US')} ES256 signatures/s one at a time (jose)` : ''}; load generator on the same host.`,
  `- Load average (1/5/15 min) at start ${machine.loadAverageAtStart.join(' / ')}, at end ${machine.loadAverageAtEnd.join(' / ')}.`,
  '',
  formatTable(results.rows, results.targets),
];
const notes = results.rows.filter((row) => row.note).map((row) => `- ${row.label}: ${row.note}`);
if (notes.length > 0) lines.push('', ...notes);
process.stdout.write(`${lines.join('\n')}\n`);
