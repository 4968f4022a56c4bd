// How the console names usage buckets and scales its charts: hours in the viewer's time zone
// (half-hour offsets and clock changes included), days as the UTC days the API counts in.
import type { UsagePoint } from '../src/types';
import {
  axisLabels,
  bucketName,
  countTicks,
  describeSeries,
  failureRate,
  formatLatency,
  localSpanOfDay,
  percentOf,
  reasonsOf,
  reasonsText,
  relativeTime,
} from '../src/usage';

const UTC = { locale: 'en-GB', timeZone: 'UTC' };
const KOLKATA = { locale: 'en-GB', timeZone: 'Asia/Kolkata' };
const BERLIN = { locale: 'en-GB', timeZone: 'Europe/Berlin' };
const NEW_YORK = { locale: 'en-US', timeZone: 'America/New_York' };
const HOUR = 3_600_000;

const hours = (from: string, count: number) => Array.from({ length: count }, (_, i) => new Date(Date.parse(from) + i * HOUR).toISOString());
const days = (from: string, count: number) => Array.from({ length: count }, (_, i) => new Date(Date.parse(from) + i * 24 * HOUR).toISOString());

function point(start: string, requests: number, failures: Record<string, number> = {}): UsagePoint {
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  const figures = { requests, successes: requests - failed, failures: failed, failures_by_reason: failures, latency_ms: { p50: requests ? 3 : null, p95: requests ? 9 : null } };
  return { start, ...figures, endpoints: { token: figures, introspection: { ...figures, requests: 0, successes: 0, failures: 0, failures_by_reason: {} } } };
}

describe('bucketName', () => {
  it('names an hour by its local start and end, whatever the offset', () => {
    expect(bucketName('2026-11-14T14:00:00.000Z', 'hour', UTC)).toBe('Sat 14 Nov, 14:00–15:00');
    expect(bucketName('2026-11-14T14:00:00.000Z', 'hour', KOLKATA)).toBe('Sat 14 Nov, 19:30–20:30');
    expect(bucketName('2026-11-14T23:00:00.000Z', 'hour', KOLKATA)).toBe('Sun 15 Nov, 04:30–05:30');
    expect(bucketName('2026-11-14T23:00:00.000Z', 'hour', NEW_YORK)).toBe('Sat, Nov 14, 6:00 PM–7:00 PM');
  });

  it('says which offset each end of the hour is in when the clocks change within it', () => {
    expect(bucketName('2026-10-24T23:00:00.000Z', 'hour', BERLIN)).toBe('Sun 25 Oct, 01:00–02:00');
    expect(bucketName('2026-10-25T00:00:00.000Z', 'hour', BERLIN)).toBe('Sun 25 Oct, 02:00 CEST–02:00 CET');
    expect(bucketName('2026-10-25T01:00:00.000Z', 'hour', BERLIN)).toBe('Sun 25 Oct, 02:00–03:00');
    expect(bucketName('2026-03-29T00:00:00.000Z', 'hour', BERLIN)).toBe('Sun 29 Mar, 01:00 CET–03:00 CEST');
  });

  it('names a day by its UTC date in every time zone: the API counts UTC days', () => {
    for (const zone of [UTC, KOLKATA, BERLIN]) expect(bucketName('2026-11-14T00:00:00.000Z', 'day', zone)).toBe('Sat 14 Nov');
    // 14 Nov 00:00 UTC is still 13 Nov in New York; the day is the UTC day all the same.
    expect(bucketName('2026-11-14T00:00:00.000Z', 'day', NEW_YORK)).toBe('Sat, Nov 14');
  });
});

describe('localSpanOfDay', () => {
  it('gives where a UTC day begins and ends locally, or null where days are UTC days', () => {
    expect(localSpanOfDay('2026-11-14T00:00:00.000Z', UTC)).toBeNull();
    expect(localSpanOfDay('2026-01-10T00:00:00.000Z', { locale: 'en-GB', timeZone: 'Europe/London' })).toBeNull();
    expect(localSpanOfDay('2026-07-10T00:00:00.000Z', { locale: 'en-GB', timeZone: 'Europe/London' })).toBe('10 Jul, 01:00 – 11 Jul, 01:00');
    expect(localSpanOfDay('2026-11-14T00:00:00.000Z', KOLKATA)).toBe('14 Nov, 05:30 – 15 Nov, 05:30');
    expect(localSpanOfDay('2026-11-14T00:00:00.000Z', NEW_YORK)).toBe('Nov 13, 7:00 PM – Nov 14, 7:00 PM');
    // The day the clocks go forward: 23 hours of local time.
    expect(localSpanOfDay('2026-03-29T00:00:00.000Z', BERLIN)).toBe('29 Mar, 01:00 – 30 Mar, 02:00');
  });
});

describe('axisLabels', () => {
  it('labels round local hours, as many as there is room for, with the date where a day starts', () => {
    expect(axisLabels(hours('2026-11-14T15:00:00.000Z', 24), 'hour', 8, UTC)).toEqual([
      { index: 0, text: '15:00', date: '14 Nov' },
      { index: 3, text: '18:00' },
      { index: 6, text: '21:00' },
      { index: 9, text: '00:00', date: '15 Nov' },
      { index: 12, text: '03:00' },
      { index: 15, text: '06:00' },
      { index: 18, text: '09:00' },
      { index: 21, text: '12:00' },
    ]);
    // Half-hour offsets: the labels sit on the buckets that start on a round local hour and a half.
    expect(axisLabels(hours('2026-11-14T15:00:00.000Z', 24), 'hour', 4, KOLKATA).map((label) => label.text)).toEqual(['00:30', '06:30', '12:30', '18:30']);
    expect(axisLabels(hours('2026-11-14T15:00:00.000Z', 24), 'hour', 30, UTC)).toHaveLength(24);
    expect(axisLabels(hours('2026-11-14T15:00:00.000Z', 24), 'hour', 1, UTC)).toEqual([{ index: 9, text: '00:00', date: '15 Nov' }]);
  });

  it('labels every n-th UTC day counted back from the latest, which always has its label', () => {
    const labels = axisLabels(days('2026-10-16T00:00:00.000Z', 30), 'day', 6, NEW_YORK);
    expect(labels).toEqual([
      { index: 1, text: 'Oct 17' },
      { index: 8, text: 'Oct 24' },
      { index: 15, text: 'Oct 31' },
      { index: 22, text: 'Nov 7' },
      { index: 29, text: 'Nov 14' },
    ]);
    expect(axisLabels(days('2026-10-16T00:00:00.000Z', 30), 'day', 40, UTC)).toHaveLength(30);
  });
});

describe('countTicks', () => {
  it.each([
    [0, [0, 1]],
    [1, [0, 1]],
    [3, [0, 1, 2, 3]],
    [5, [0, 2, 4, 6]],
    [9, [0, 5, 10]],
    [17, [0, 5, 10, 15, 20]],
    [100, [0, 50, 100]],
    [1234, [0, 500, 1000, 1500]],
    [172_694, [0, 50_000, 100_000, 150_000, 200_000]],
  ])('%d requests: %j', (max, ticks) => {
    expect(countTicks(max)).toEqual(ticks);
  });
});

describe('figures in words', () => {
  it('rates, latency and reasons', () => {
    expect(failureRate({ requests: 8, failures: 3 }, UTC)).toBe('37.5%');
    expect(failureRate({ requests: 0, failures: 0 }, UTC)).toBe('—');
    expect(percentOf(1, 3, UTC)).toBe('33.3%');
    expect([0.84, 9.5, 123.4, 1234, null].map((ms) => formatLatency(ms, UTC))).toEqual(['0.8 ms', '9.5 ms', '123 ms', '1.2 s', '—']);
    const figures = { failures_by_reason: { invalid_scope: 1, invalid_client: 2, something_new: 2, rate_limited: 0 } };
    expect(reasonsOf(figures)).toEqual([
      { reason: 'invalid_client', count: 2, meaning: 'wrong secret, or a disabled, expired or deleted client' },
      { reason: 'something_new', count: 2, meaning: null },
      { reason: 'invalid_scope', count: 1, meaning: 'asked for a scope the client does not hold' },
    ]);
    expect(reasonsText(figures, UTC)).toBe('invalid_client 2, something_new 2, invalid_scope 1');
  });

  it('sums a series up in a sentence, for the chart\'s accessible name', () => {
    const starts = hours('2026-11-14T15:00:00.000Z', 24);
    const series = starts.map((start, i) => point(start, i === 23 ? 9 : i === 3 ? 1 : 0, i === 23 ? { invalid_client: 3 } : {}));
    expect(describeSeries(series, 'hour', UTC)).toBe(
      'Last 24 hours, Sat 14 Nov, 15:00 to Sun 15 Nov, 15:00: 10 requests, 7 successes, 3 failures. Busiest hour: Sun 15 Nov, 14:00–15:00, 9 requests.',
    );
    const quiet = days('2026-10-16T00:00:00.000Z', 30).map((start) => point(start, 0));
    expect(describeSeries(quiet, 'day', UTC)).toBe('Last 30 days (UTC), Fri 16 Oct to Sat 14 Nov: no traffic.');
    expect(describeSeries([point('2026-11-14T00:00:00.000Z', 1)], 'day', UTC)).toBe(
      'Last day (UTC), Sat 14 Nov to Sat 14 Nov: 1 request, 1 success, 0 failures. Busiest day: Sat 14 Nov, 1 request.',
    );
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-11-14T12:00:00Z');
    const ago = (ms: number) => relativeTime(new Date(now - ms).toISOString(), now, UTC);
    expect([ago(10_000), ago(3 * 60_000), ago(2 * HOUR), ago(26 * HOUR), ago(40 * 24 * HOUR)]).toEqual(['just now', '3 minutes ago', '2 hours ago', 'yesterday', 'last month']);
  });
});
