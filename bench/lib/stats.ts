// Pure helpers of the benchmark suite: medians over runs, ratios, targets and the markdown table.
// No I/O here, so tests/bench/stats.test.ts can check them.

/** One measured run of a scenario variant. */
export interface Measurement {
  requestsPerSecond: number;
  p50Ms: number;
  /** Only where the scenario records every latency itself (autocannon reports p97.5, not p95). */
  p95Ms?: number;
  p99Ms: number;
  /** Non-2xx answers, socket errors and timeouts: must be 0. */
  errors: number;
  requests: number;
  /** Highest resident set size of the measured process (or of any one of its processes), MB. */
  peakRssMb: number;
  /** CPU time (user + system) the measured server spent per completed request, ms. */
  cpuMsPerRequest?: number;
}

/** A scenario variant: every run, plus what it is compared with. */
export interface ResultRow {
  /** Stable key, e.g. `token-warm/1-client/10c`; targets and references name rows by it. */
  key: string;
  scenario: string;
  label: string;
  runs: Measurement[];
  /** Key of the row this one is compared with (the baseline of the same run), if any. */
  reference?: string;
  /**
   * Runs of the reference measured interleaved with this row's runs (one right before each):
   * when present, the row's ratios are taken against their medians instead of the reference row's.
   */
  referenceRuns?: Measurement[];
  note?: string;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** The median of each figure over the runs (errors: the sum, since any error fails the row). */
export function medianOf(runs: Measurement[]): Measurement {
  const of = (pick: (run: Measurement) => number | undefined) => {
    const values = runs.map(pick).filter((value): value is number => value !== undefined);
    return values.length > 0 ? median(values) : undefined;
  };
  const p95Ms = of((run) => run.p95Ms);
  const cpuMsPerRequest = of((run) => run.cpuMsPerRequest);
  return {
    requestsPerSecond: of((run) => run.requestsPerSecond) ?? Number.NaN,
    p50Ms: of((run) => run.p50Ms) ?? Number.NaN,
    ...(p95Ms !== undefined ? { p95Ms } : {}),
    p99Ms: of((run) => run.p99Ms) ?? Number.NaN,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    peakRssMb: Math.max(...runs.map((run) => run.peakRssMb)),
    ...(cpuMsPerRequest !== undefined ? { cpuMsPerRequest } : {}),
  };
}

export function ratio(value: number, reference: number): number {
  return reference > 0 ? value / reference : Number.NaN;
}

/** A target of the issue, checked against the medians of the rows it names. */
export interface Target {
  /** The row the target is shown on. */
  row: string;
  description: string;
  /**
   * The measured value as text and whether it meets the target; undefined when a row is missing.
   * `referenceOf(key)` is what row `key` is compared with: its interleaved reference runs, else
   * its reference row.
   */
  check(get: (key: string) => Measurement | undefined, referenceOf: (key: string) => Measurement | undefined): { measured: string; met: boolean } | undefined;
}

export interface TargetResult {
  row: string;
  description: string;
  measured: string;
  met: boolean;
}

/** What each row is compared with: the medians of its interleaved reference runs, else its reference row's. */
function referencesOf(rows: ResultRow[], medians: Map<string, Measurement>): Map<string, Measurement> {
  const references = new Map<string, Measurement>();
  for (const row of rows) {
    const reference = row.referenceRuns?.length ? medianOf(row.referenceRuns) : row.reference ? medians.get(row.reference) : undefined;
    if (reference) references.set(row.key, reference);
  }
  return references;
}

export function evaluateTargets(targets: Target[], rows: ResultRow[]): TargetResult[] {
  const medians = new Map(rows.map((row) => [row.key, medianOf(row.runs)]));
  const references = referencesOf(rows, medians);
  const results: TargetResult[] = [];
  for (const target of targets) {
    const outcome = target.check(
      (key) => medians.get(key),
      (key) => references.get(key),
    );
    if (outcome) results.push({ row: target.row, description: target.description, ...outcome });
  }
  return results;
}

const number = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';

export const formatMs = (value: number | undefined) => (value === undefined ? '—' : number(value, value < 10 ? 2 : 1));
export const formatRatio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '—');

/** The markdown table of medians: one line per row, with its ratio and its targets. */
export function formatTable(rows: ResultRow[], targets: TargetResult[]): string {
  const medians = new Map(rows.map((row) => [row.key, medianOf(row.runs)]));
  const references = referencesOf(rows, medians);
  const lines = [
    '| scenario | req/s | p50 ms | p99 ms | errors | peak RSS MB | CPU ms/req | vs | req/s ratio | p99 ratio | CPU ratio | target | met |',
    '|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|---|---|',
  ];
  for (const row of rows) {
    const m = medians.get(row.key) as Measurement;
    const reference = references.get(row.key);
    const mine = targets.filter((target) => target.row === row.key);
    const p99 = m.p95Ms !== undefined ? `${formatMs(m.p99Ms)} (p95 ${formatMs(m.p95Ms)})` : formatMs(m.p99Ms);
    lines.push(
      [
        '',
        ` ${row.label} `,
        ` ${number(m.requestsPerSecond)} `,
        ` ${formatMs(m.p50Ms)} `,
        ` ${p99} `,
        ` ${m.errors} `,
        ` ${number(m.peakRssMb)} `,
        ` ${m.cpuMsPerRequest !== undefined ? formatMs(m.cpuMsPerRequest) : '—'} `,
        ` ${reference ? `${row.reference}${row.referenceRuns?.length ? ', interleaved' : ''}` : ''} `,
        ` ${reference ? formatRatio(ratio(m.requestsPerSecond, reference.requestsPerSecond)) : ''} `,
        ` ${reference ? formatRatio(ratio(m.p99Ms, reference.p99Ms)) : ''} `,
        ` ${reference && m.cpuMsPerRequest !== undefined && reference.cpuMsPerRequest !== undefined ? formatRatio(ratio(m.cpuMsPerRequest, reference.cpuMsPerRequest)) : ''} `,
        ` ${mine.map((target) => target.description).join('; ')} `,
        ` ${mine.length === 0 ? '' : mine.every((target) => target.met) ? 'yes' : `no (${mine.filter((target) => !target.met).map((target) => target.measured).join('; ')})`} `,
        '',
      ].join('|'),
    );
  }
  return lines.join('\n');
}
