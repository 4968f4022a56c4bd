// The targets of issue 6, checked against the medians of one run. Each is shown on the row it
// concerns; a target whose rows were not run (--only) is left out.
import { formatMs, formatRatio, ratio, type Measurement, type ResultRow, type Target } from './lib/stats.js';

const WARM = 'token-warm/1-client/10c';

function compare(row: string, reference: string, description: string, pick: (m: Measurement) => number, meets: (value: number) => boolean): Target {
  return {
    row,
    description,
    check(get, referenceOf) {
      // The row's interleaved reference runs when it has them (they name the same reference).
      const [mine, theirs] = [get(row), referenceOf(row) ?? get(reference)];
      if (!mine || !theirs) return undefined;
      const value = ratio(pick(mine), pick(theirs));
      return { measured: formatRatio(value), met: meets(value) };
    },
  };
}

function absolute(row: string, description: string, pick: (m: Measurement) => number | undefined, meets: (value: number) => boolean, unit: (value: number) => string): Target {
  return {
    row,
    description,
    check(get) {
      const value = get(row) ? pick(get(row) as Measurement) : undefined;
      if (value === undefined) return undefined;
      return { measured: unit(value), met: meets(value) };
    },
  };
}

const perSecond = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
const ms = (value: number) => `${formatMs(value)} ms`;
const mb = (value: number) => `${Math.round(value)} MB`;

/** The targets, plus "0 errors" on every row that ran. */
export function targetsFor(rows: ResultRow[]): Target[] {
  const targets: Target[] = [
    compare(WARM, 'baseline/10c', '≥ 0.9× baseline req/s', (m) => m.requestsPerSecond, (value) => value >= 0.9),
    compare(WARM, 'baseline/10c', 'p99 ≤ 1.5× baseline p99', (m) => m.p99Ms, (value) => value <= 1.5),
    absolute(WARM, '≥ 2,200 req/s', (m) => m.requestsPerSecond, (value) => value >= 2200, perSecond),
    absolute(WARM, 'p99 < 20 ms', (m) => m.p99Ms, (value) => value < 20, ms),
    compare('scale/100k-clients/10c', WARM, '≥ 0.9× one client (token-warm 10c)', (m) => m.requestsPerSecond, (value) => value >= 0.9),
    absolute('scale/audit/action', 'p95 < 50 ms', (m) => m.p95Ms, (value) => value < 50, ms),
    absolute('scale/audit/actor', 'p95 < 50 ms', (m) => m.p95Ms, (value) => value < 50, ms),
    compare('middleware/latchkey', 'middleware/jose', '≥ 0.9× plain jose', (m) => m.requestsPerSecond, (value) => value >= 0.9),
  ];
  for (const row of rows) {
    if (row.scenario === 'token-warm') targets.push(absolute(row.key, 'peak RSS < 200 MB', (m) => m.peakRssMb, (value) => value < 200, mb));
    targets.push(absolute(row.key, '0 errors', (m) => m.errors, (value) => value === 0, (value) => `${value} errors`));
  }
  return targets;
}
