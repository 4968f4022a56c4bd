// How usage figures are shown: bucket names and axis labels (hours in the viewer's time zone, days
// as the UTC days the API counts in), the count axis, and words for failure reasons and latency.
// Pure functions; every one takes the locale and time zone so the tests can pin them.
import type { Granularity, UsageFigures, UsagePoint } from './types';

export const STEP_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/** Where the figures are read. Both undefined: the browser's own locale and time zone. */
export interface Zone {
  locale?: string | undefined;
  timeZone?: string | undefined;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(zone: Zone, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify([zone.locale, zone.timeZone, options]);
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(zone.locale, { ...options, timeZone: zone.timeZone });
    formats.set(key, format);
  }
  return format;
}

const UTC: Zone = { timeZone: 'UTC' };
const utcOf = (zone: Zone): Zone => ({ ...UTC, locale: zone.locale });
const DAY: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short' };
const WEEKDAY: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short' };

/** The time zone figures are shown in, for the "times in …" note. */
export const viewerTimeZone = (zone: Zone = {}) => zone.timeZone ?? new Intl.DateTimeFormat().resolvedOptions().timeZone;

/** "09:00" on a 24-hour clock, "9:00 AM" on a 12-hour one. */
export function timeOfDay(instant: number, zone: Zone = {}): string {
  const twelveHours = /^h1[12]$/.test(dateFormat(zone, { hour: 'numeric' }).resolvedOptions().hourCycle ?? '');
  return dateFormat(zone, { hour: twelveHours ? 'numeric' : '2-digit', minute: '2-digit' }).format(instant);
}

/**
 * A bucket's name for the tooltip and the table. An hour in the viewer's time zone:
 * "Tue 14 Nov, 14:00–15:00" (in India "Tue 14 Nov, 19:30–20:30": the API's hours are UTC hours).
 * A day is a UTC day, named by its UTC date whatever the viewer's time zone: "Tue 14 Nov".
 */
export function bucketName(start: string, granularity: Granularity, zone: Zone = {}): string {
  const from = Date.parse(start);
  if (granularity === 'day') return dateFormat(utcOf(zone), WEEKDAY).format(from);
  const to = from + STEP_MS.hour;
  // The hour in which the clocks change says which offset each end is in: "02:00 CEST–02:00 CET".
  const offsetFrom = zoneName(from, zone);
  const offsetTo = zoneName(to, zone);
  const ends = offsetFrom === offsetTo ? [timeOfDay(from, zone), timeOfDay(to, zone)] : [`${timeOfDay(from, zone)} ${offsetFrom}`, `${timeOfDay(to, zone)} ${offsetTo}`];
  return `${dateFormat(zone, WEEKDAY).format(from)}, ${ends[0]}–${ends[1]}`;
}

/** "CEST", "GMT+5:30": the short name of the offset in force at an instant. */
function zoneName(instant: number, zone: Zone): string {
  return dateFormat(zone, { timeZoneName: 'short' }).formatToParts(instant).find((part) => part.type === 'timeZoneName')?.value ?? '';
}

/**
 * Where a UTC day begins and ends in the viewer's time zone, "14 Nov, 01:00 – 15 Nov, 01:00";
 * null when the viewer's days are UTC days.
 */
export function localSpanOfDay(start: string, zone: Zone = {}): string | null {
  const from = Date.parse(start);
  const to = from + STEP_MS.day;
  const local = (instant: number) => `${dateFormat(zone, DAY).format(instant)}, ${timeOfDay(instant, zone)}`;
  const utc = (instant: number) => `${dateFormat(utcOf(zone), DAY).format(instant)}, ${timeOfDay(instant, utcOf(zone))}`;
  if (local(from) === utc(from) && local(to) === utc(to)) return null;
  return `${local(from)} – ${local(to)}`;
}

/** The hour of the day (0–23) an instant falls in, in the viewer's time zone. */
function localHour(instant: number, zone: Zone): number {
  const part = dateFormat(zone, { hour: 'numeric', hourCycle: 'h23' })
    .formatToParts(instant)
    .find((p) => p.type === 'hour');
  return Number(part?.value ?? 0) % 24;
}

export interface AxisLabel {
  index: number;
  text: string;
  /** The date under an hour's label where a new day starts (and under the first label). */
  date?: string;
}

const HOUR_STEPS = [1, 2, 3, 4, 6, 8, 12, 24];
const DAY_STEPS = [1, 2, 3, 7, 14, 28, 56, 91, 182];

/**
 * At most `room` labels under the bars. Hours: on round local hours (every 1, 2, 3, 4, 6, 8, 12 or
 * 24 hours), with the date where it changes. Days: every n-th day counted back from the last, so
 * the latest day always has its label.
 */
export function axisLabels(starts: readonly string[], granularity: Granularity, room: number, zone: Zone = {}): AxisLabel[] {
  const count = starts.length;
  const fits = (step: number) => Math.ceil(count / step) <= Math.max(1, room);
  if (granularity === 'day') {
    const step = DAY_STEPS.find(fits) ?? Math.ceil(count / Math.max(1, room));
    const labels: AxisLabel[] = [];
    for (let index = count - 1; index >= 0; index -= step) {
      labels.unshift({ index, text: dateFormat(utcOf(zone), DAY).format(Date.parse(starts[index] as string)) });
    }
    return labels;
  }
  const step = HOUR_STEPS.find(fits) ?? 24 * Math.ceil(count / 24 / Math.max(1, room));
  const labels: AxisLabel[] = [];
  let lastDate: string | null = null;
  starts.forEach((start, index) => {
    const instant = Date.parse(start);
    if (localHour(instant, zone) % step !== 0) return;
    const date = dateFormat(zone, DAY).format(instant);
    labels.push({ index, text: timeOfDay(instant, zone), ...(date !== lastDate ? { date } : {}) });
    lastDate = date;
  });
  return labels;
}

/**
 * Round numbers for a count axis, 0 up to at least `max`, about `target` steps of 1, 2 or 5 × 10^k
 * (never less than 1: requests are whole numbers). Nothing to show: [0, 1].
 */
export function countTicks(max: number, target = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw) ?? 10 * magnitude);
  const steps = Math.ceil(max / step);
  return Array.from({ length: steps + 1 }, (_, i) => i * step);
}

export const formatCount = (value: number, zone: Zone = {}) => value.toLocaleString(zone.locale);

/** "37.5%": `part` of `whole`; "—" when the whole is 0. */
export function percentOf(part: number, whole: number, zone: Zone = {}): string {
  if (whole === 0) return '—';
  return new Intl.NumberFormat(zone.locale, { style: 'percent', maximumFractionDigits: 1 }).format(part / whole);
}

/** The share of requests that failed; "—" when there were none. */
export const failureRate = (figures: Pick<UsageFigures, 'requests' | 'failures'>, zone: Zone = {}) => percentOf(figures.failures, figures.requests, zone);

/** "0.8 ms", "9.5 ms", "120 ms", "1.2 s"; "—" without requests. */
export function formatLatency(ms: number | null, zone: Zone = {}): string {
  if (ms === null) return '—';
  const number = (value: number, digits: number) => value.toLocaleString(zone.locale, { maximumFractionDigits: digits });
  if (ms < 10) return `${number(ms, 1)} ms`;
  if (ms < 1000) return `${number(Math.round(ms), 0)} ms`;
  return `${number(ms / 1000, 1)} s`;
}

/** What each failure reason of the usage API means (README, "Usage and API logs"). */
export const REASONS: Readonly<Record<string, string>> = {
  invalid_client: 'wrong secret, or a disabled, expired or deleted client',
  too_many_failures: 'blocked after repeated wrong secrets',
  rate_limited: 'over the rate limit',
  invalid_scope: 'asked for a scope the client does not hold',
  invalid_target: 'asked for an unknown resource',
  invalid_request: 'malformed request',
  unauthorized_client: 'grant type not allowed for the client',
  server_error: 'error in the server',
  token_revoked: 'introspected token was revoked',
  client_inactive: 'the token\'s client is disabled or deleted',
  ip_not_allowed: 'used from an IP address outside the allow-list',
};

/** Failure reasons, most frequent first (then by name). */
export function reasonsOf(figures: Pick<UsageFigures, 'failures_by_reason'>): Array<{ reason: string; count: number; meaning: string | null }> {
  return Object.entries(figures.failures_by_reason)
    .filter(([, count]) => count > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason, count]) => ({ reason, count, meaning: REASONS[reason] ?? null }));
}

/** "invalid_client 2, invalid_scope 1"; "" without failures. */
export const reasonsText = (figures: Pick<UsageFigures, 'failures_by_reason'>, zone: Zone = {}) =>
  reasonsOf(figures)
    .map(({ reason, count }) => `${reason} ${formatCount(count, zone)}`)
    .join(', ');

const plural = (count: number, one: string, many: string, zone: Zone) => `${formatCount(count, zone)} ${count === 1 ? one : many}`;

/**
 * The chart in a sentence, for its accessible name: the period, the totals and the busiest bucket.
 * "Last 24 hours, Tue 14 Nov, 15:00 to Wed 15 Nov, 15:00: 9 requests, 6 successes, 3 failures. Busiest hour: Wed 15 Nov, 14:00–15:00, 9 requests."
 */
export function describeSeries(series: readonly UsagePoint[], granularity: Granularity, zone: Zone = {}): string {
  const first = series[0];
  const last = series[series.length - 1];
  if (!first || !last) return 'No data.';
  const unit = granularity === 'hour' ? 'hour' : 'day';
  const period =
    granularity === 'hour'
      ? `Last ${series.length === 1 ? 'hour' : `${series.length} hours`}, ${dateFormat(zone, WEEKDAY).format(Date.parse(first.start))}, ${timeOfDay(Date.parse(first.start), zone)} to ${dateFormat(zone, WEEKDAY).format(Date.parse(last.start) + STEP_MS.hour)}, ${timeOfDay(Date.parse(last.start) + STEP_MS.hour, zone)}`
      : `Last ${series.length === 1 ? 'day' : `${series.length} days`} (UTC), ${bucketName(first.start, 'day', zone)} to ${bucketName(last.start, 'day', zone)}`;
  const totals = series.reduce((sum, point) => ({ requests: sum.requests + point.requests, failures: sum.failures + point.failures }), { requests: 0, failures: 0 });
  if (totals.requests === 0) return `${period}: no traffic.`;
  const busiest = series.reduce((best, point) => (point.requests > best.requests ? point : best), first);
  return (
    `${period}: ${plural(totals.requests, 'request', 'requests', zone)}, ${plural(totals.requests - totals.failures, 'success', 'successes', zone)}, ` +
    `${plural(totals.failures, 'failure', 'failures', zone)}. Busiest ${unit}: ${bucketName(busiest.start, granularity, zone)}, ${plural(busiest.requests, 'request', 'requests', zone)}.`
  );
}

/** "3 minutes ago", "in 2 hours", "just now". */
export function relativeTime(iso: string, now: number, zone: Zone = {}): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['minute', 60],
    ['hour', 3600],
    ['day', 86_400],
    ['month', 30 * 86_400],
    ['year', 365 * 86_400],
  ];
  let [unit, size] = units[0] as [Intl.RelativeTimeFormatUnit, number];
  for (const [candidate, candidateSize] of units) if (Math.abs(seconds) >= candidateSize) [unit, size] = [candidate, candidateSize];
  return new Intl.RelativeTimeFormat(zone.locale, { numeric: 'auto' }).format(Math.round(seconds / size), unit);
}
