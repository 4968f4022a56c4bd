import { evaluateTargets, formatTable, median, medianOf, percentile, ratio, type Measurement, type ResultRow } from '../../bench/lib/stats.js';

const run = (requestsPerSecond: number, p99Ms: number, extra: Partial<Measurement> = {}): Measurement => ({
  requestsPerSecond,
  p50Ms: p99Ms / 2,
  p99Ms,
  errors: 0,
  requests: requestsPerSecond * 10,
  peakRssMb: 100,
  ...extra,
});

describe('bench statistics', () => {
  it('takes the median of odd and even counts, NaN of none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  it('summarizes runs: medians of figures, the sum of errors, the highest RSS', () => {
    const summary = medianOf([run(100, 10), run(300, 30, { errors: 2, peakRssMb: 180 }), run(200, 20, { errors: 1 })]);
    expect(summary).toEqual({ requestsPerSecond: 200, p50Ms: 10, p99Ms: 20, errors: 3, requests: 6000, peakRssMb: 180 });
  });

  it('takes the median CPU per request, and leaves it out when no run measured it', () => {
    expect(medianOf([run(1, 1, { cpuMsPerRequest: 0.5 }), run(1, 1, { cpuMsPerRequest: 0.9 }), run(1, 1, { cpuMsPerRequest: 0.6 })]).cpuMsPerRequest).toBe(0.6);
    expect('cpuMsPerRequest' in medianOf([run(1, 1)])).toBe(false);
  });

  it('keeps p95 only when the runs recorded it', () => {
    expect(medianOf([run(1, 1, { p95Ms: 4 }), run(1, 1, { p95Ms: 6 })]).p95Ms).toBe(5);
    expect('p95Ms' in medianOf([run(1, 1)])).toBe(false);
  });

  it('gives no ratio against a zero reference', () => {
    expect(ratio(90, 100)).toBeCloseTo(0.9);
    expect(ratio(90, 0)).toBeNaN();
  });
});

describe('interleaved references', () => {
  const rows: ResultRow[] = [
    { key: 'baseline/10c', scenario: 'baseline', label: 'baseline', runs: [run(1000, 10, { cpuMsPerRequest: 0.4 })] },
    {
      key: 'warm/10c',
      scenario: 'token-warm',
      label: 'warm',
      runs: [run(900, 12, { cpuMsPerRequest: 0.5 }), run(950, 14, { cpuMsPerRequest: 0.6 }), run(1000, 16, { cpuMsPerRequest: 0.7 })],
      reference: 'baseline/10c',
      referenceRuns: [run(500, 8, { cpuMsPerRequest: 0.5 }), run(475, 7, { cpuMsPerRequest: 0.6 }), run(5000, 20, { cpuMsPerRequest: 0.1 })],
    },
    { key: 'scale/10c', scenario: 'scale', label: 'scale', runs: [run(1900, 10)], reference: 'warm/10c' },
  ];

  it('takes a row\'s ratios against the medians of its interleaved runs, and says so', () => {
    const lines = formatTable(rows, []).split('\n');
    expect(lines[3]).toBe('| warm | 950 | 7.00 | 14.0 | 0 | 100 | 0.60 | baseline/10c, interleaved | 1.90× | 1.75× | 1.20× |  |  |');
    // A row without interleaved runs is still compared with its reference row.
    expect(lines[4]).toBe('| scale | 1,900 | 5.00 | 10.0 | 0 | 100 | — | warm/10c | 2.00× | 0.71× |  |  |  |');
  });

  it('hands targets the interleaved reference of a row, and the reference row otherwise', () => {
    const seen: Array<number | undefined> = [];
    evaluateTargets(
      [
        { row: 'warm/10c', description: 'a', check: (_get, referenceOf) => void seen.push(referenceOf('warm/10c')?.requestsPerSecond) },
        { row: 'scale/10c', description: 'b', check: (_get, referenceOf) => void seen.push(referenceOf('scale/10c')?.requestsPerSecond) },
        { row: 'baseline/10c', description: 'c', check: (_get, referenceOf) => void seen.push(referenceOf('baseline/10c')?.requestsPerSecond) },
      ],
      rows,
    );
    expect(seen).toEqual([500, 950, undefined]);
  });
});

describe('bench table', () => {
  const rows: ResultRow[] = [
    { key: 'baseline/10c', scenario: 'baseline', label: 'baseline', runs: [run(1000, 10, { cpuMsPerRequest: 0.4 })] },
    { key: 'warm/10c', scenario: 'token-warm', label: 'warm', runs: [run(950, 12, { cpuMsPerRequest: 0.5 })], reference: 'baseline/10c' },
    { key: 'loop', scenario: 'middleware', label: 'loop', runs: [run(10, 1)] },
  ];
  const targets = evaluateTargets(
    [
      { row: 'warm/10c', description: '≥ 0.9× baseline', check: (get) => ({ measured: '0.95×', met: (get('warm/10c')?.requestsPerSecond ?? 0) >= 900 }) },
      { row: 'warm/10c', description: 'p99 < 10 ms', check: (get) => ({ measured: `${get('warm/10c')?.p99Ms} ms`, met: false }) },
      { row: 'missing', description: 'skipped', check: () => undefined },
    ],
    rows,
  );

  it('leaves out targets whose rows did not run', () => {
    expect(targets.map((target) => target.description)).toEqual(['≥ 0.9× baseline', 'p99 < 10 ms']);
  });

  it('prints one markdown line per row with ratios to its reference and the unmet targets', () => {
    const lines = formatTable(rows, targets).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('| scenario | req/s | p50 ms | p99 ms | errors | peak RSS MB | CPU ms/req | vs | req/s ratio | p99 ratio | CPU ratio | target | met |');
    expect(lines[2]).toBe('| baseline | 1,000 | 5.00 | 10.0 | 0 | 100 | 0.40 |  |  |  |  |  |  |');
    expect(lines[3]).toBe('| warm | 950 | 6.00 | 12.0 | 0 | 100 | 0.50 | baseline/10c | 0.95× | 1.20× | 1.25× | ≥ 0.9× baseline; p99 < 10 ms | no (12 ms) |');
    expect(lines[4]).toBe('| loop | 10 | 0.50 | 1.00 | 0 | 100 | — |  |  |  |  |  |  |');
  });
});
