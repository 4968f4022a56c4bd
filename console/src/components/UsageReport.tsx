// A usage report: the hourly/daily toggle, the totals (requests, successes, failures, latency,
// last use), the chart with its table, the failure reasons and the split by endpoint, with its
// loading, empty, refused and error states. Used for one credential (in its slide-over and on its
// usage page) and for the whole organization.
import { useCallback, useEffect, useId, useState, type ReactNode } from 'react';
import { api, ApiError } from '../api';
import { formatDate } from '../format';
import { usageHrefOf, type CredentialRef } from '../router';
import type { CredentialType, CredentialUsage, Granularity, UsageFigures, UsageTotals } from '../types';
import { failureRate, formatCount, formatLatency, percentOf, reasonsOf, relativeTime, timeOfDay, viewerTimeZone } from '../usage';
import { UsageChart, UsageTable } from './UsageChart';
import { AppLink, Loading, Notice } from './ui';

interface Series {
  granularity: Granularity;
  from: string;
  to: string;
  totals: UsageTotals;
  series: CredentialUsage['series'];
}

export interface Usage<T> {
  granularity: Granularity;
  setGranularity: (granularity: Granularity) => void;
  data: T | null;
  loading: boolean;
  error: ApiError | null;
  loadedAt: number | null;
  reload: () => void;
}

/** Loads usage at the chosen granularity (hourly first), again on every change or reload. `load` must be stable. */
export function useUsage<T extends Series>(load: (granularity: Granularity) => Promise<T>): Usage<T> {
  const [granularity, setGranularity] = useState<Granularity>('hour');
  const [reloads, setReloads] = useState(0);
  const [state, setState] = useState<{ data: T | null; loading: boolean; error: ApiError | null; loadedAt: number | null }>({
    data: null,
    loading: true,
    error: null,
    loadedAt: null,
  });
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    load(granularity).then(
      (data) => current && setState({ data, loading: false, error: null, loadedAt: Date.now() }),
      (error: unknown) =>
        current &&
        setState({ data: null, loading: false, loadedAt: null, error: error instanceof ApiError ? error : new ApiError(0, 'client_error', String(error)) }),
    );
    return () => {
      current = false;
    };
  }, [load, granularity, reloads]);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  return { granularity, setGranularity, ...state, reload };
}

const KIND: Record<CredentialType, string> = { api_client: 'API client', restricted_token: 'restricted token' };

/** One credential's usage, read with the permission of its kind. */
export function useCredentialUsage(orgId: string, credential: CredentialRef): Usage<CredentialUsage> {
  const { type, id } = credential;
  const load = useCallback((granularity: Granularity) => api.credentialUsage(orgId, type, id, granularity), [orgId, type, id]);
  return useUsage(load);
}

function GranularityToggle({ value, onChange }: { value: Granularity; onChange: (value: Granularity) => void }) {
  const option = (granularity: Granularity, label: string, range: string) => (
    <button type="button" className="segment" aria-pressed={value === granularity} onClick={() => onChange(granularity)} title={range}>
      {label}
    </button>
  );
  return (
    <div className="segmented" role="group" aria-label="Usage period">
      {option('hour', 'Hourly', 'The last 24 hours, by hour')}
      {option('day', 'Daily', 'The last 30 days, by UTC day')}
    </div>
  );
}

/**
 * The frame of a usage report: heading, toggle, refresh, and the state of the last load. `subject`
 * names what the figures are about in messages ("this API client").
 */
export function UsageSection<T extends Series>(props: {
  heading: string;
  level: 2 | 3;
  usage: Usage<T>;
  subject: string;
  /** Shown in the totals when given; undefined leaves "Last used" out (the slide-over already has it). */
  lastUsedAt?: string | null | undefined;
  headerExtra?: ReactNode;
  children?: (data: T) => ReactNode;
}) {
  const { usage } = props;
  const Heading = props.level === 2 ? 'h2' : 'h3';
  const headingId = useId();
  return (
    <section className="usage" aria-labelledby={headingId} aria-busy={usage.loading}>
      <div className="usage-header">
        <Heading id={headingId}>{props.heading}</Heading>
        <div className="usage-controls">
          <GranularityToggle value={usage.granularity} onChange={usage.setGranularity} />
          <button type="button" className="button secondary small" onClick={usage.reload} disabled={usage.loading}>
            {usage.loading && usage.data ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
      </div>
      {props.headerExtra}
      {usage.error ? (
        <UsageError error={usage.error} subject={props.subject} onRetry={usage.reload} />
      ) : !usage.data ? (
        <Loading what="usage" />
      ) : (
        <>
          <UsageFiguresView data={usage.data} lastUsedAt={props.lastUsedAt} loadedAt={usage.loadedAt} />
          {props.children?.(usage.data)}
        </>
      )}
    </section>
  );
}

function UsageError({ error, subject, onRetry }: { error: ApiError; subject: string; onRetry: () => void }) {
  if (error.status === 403) {
    return <Notice kind="info">You cannot see the usage of {subject}: {error.description}. Ask an organization admin if you need it.</Notice>;
  }
  if (error.status === 404) {
    return <Notice kind="info">The usage of {subject} cannot be shown: {error.description}. It may have been deleted.</Notice>;
  }
  return (
    <Notice kind="error">
      Could not load the usage of {subject}: {error.description}{' '}
      <button type="button" className="link-button" onClick={onRetry}>
        Try again
      </button>
    </Notice>
  );
}

function lastUsedText(at: string | null): string {
  if (!at) return 'Never';
  return `${formatDate(at)} (${relativeTime(at, Date.now())})`;
}

function UsageFiguresView({ data, lastUsedAt, loadedAt }: { data: Series; lastUsedAt: string | null | undefined; loadedAt: number | null }) {
  const { totals, granularity } = data;
  const hourly = granularity === 'hour';
  const range = hourly ? `Last ${data.series.length} hours, by hour` : `Last ${data.series.length} days, by UTC day`;
  const title = hourly ? 'Requests per hour' : 'Requests per day';
  return (
    <>
      <p className="usage-range muted">
        {range} · {hourly ? `times in your time zone (${viewerTimeZone()})` : 'days run from 00:00 to 24:00 UTC'}
        {loadedAt !== null && ` · updated ${timeOfDay(loadedAt)}`}
      </p>
      <dl className="stats" aria-label="Totals">
        <div>
          <dt>Requests</dt>
          <dd data-stat="requests">{formatCount(totals.requests)}</dd>
        </div>
        <div>
          <dt>Successes</dt>
          <dd data-stat="successes">{formatCount(totals.successes)}</dd>
        </div>
        <div>
          <dt>Failures</dt>
          <dd data-stat="failures">
            {formatCount(totals.failures)}
            {totals.requests > 0 && <span className="stat-note"> {failureRate(totals)}</span>}
          </dd>
        </div>
        <div>
          <dt>Latency p50 / p95</dt>
          <dd data-stat="latency">
            {formatLatency(totals.latency_ms.p50)} / {formatLatency(totals.latency_ms.p95)}
          </dd>
        </div>
        {lastUsedAt !== undefined && (
          <div>
            <dt>Last used</dt>
            <dd data-stat="last-used">{lastUsedText(lastUsedAt)}</dd>
          </div>
        )}
      </dl>
      {totals.requests === 0 ? (
        <div className="empty chart-empty">
          <p>No traffic in this period.</p>
          <p className="muted">
            {hourly
              ? 'Nothing asked for a token or was introspected in the last 24 hours. Daily shows the last 30 days.'
              : 'Nothing asked for a token or was introspected in the last 30 days.'}
          </p>
        </div>
      ) : (
        <figure className="usage-figure">
          <figcaption className="usage-caption">
            <span className="usage-title">{title}</span>
            <span className="legend" aria-hidden="true">
              <span>
                <span className="swatch swatch-success" /> Successes
              </span>
              <span>
                <span className="swatch swatch-failure" /> Failures
              </span>
            </span>
          </figcaption>
          <UsageChart series={data.series} granularity={granularity} title={title} />
          <UsageTable series={data.series} granularity={granularity} />
        </figure>
      )}
      {totals.failures > 0 && <FailureReasons totals={totals} />}
      {totals.requests > 0 && <Endpoints totals={totals} />}
    </>
  );
}

function FailureReasons({ totals }: { totals: UsageFigures }) {
  const headingId = useId();
  return (
    <div className="usage-block">
      <h4 id={headingId}>Failure reasons</h4>
      <div className="table-scroll">
        <table className="data-table compact" aria-labelledby={headingId}>
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <th scope="col">Failures</th>
              <th scope="col">Share</th>
              <th scope="col">Meaning</th>
            </tr>
          </thead>
          <tbody>
            {reasonsOf(totals).map(({ reason, count, meaning }) => (
              <tr key={reason}>
                <th scope="row">
                  <code>{reason}</code>
                </th>
                <td>{formatCount(count)}</td>
                <td>{percentOf(count, totals.failures)}</td>
                <td className="meaning-cell">{meaning ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Endpoints({ totals }: { totals: UsageTotals }) {
  const rows = [
    { name: 'Token endpoint', figures: totals.endpoints.token },
    { name: 'Introspection', figures: totals.endpoints.introspection },
  ].filter((row) => row.figures.requests > 0);
  const headingId = useId();
  return (
    <div className="usage-block">
      <h4 id={headingId}>By endpoint</h4>
      <div className="table-scroll">
        <table className="data-table compact" aria-labelledby={headingId}>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Requests</th>
              <th scope="col">Successes</th>
              <th scope="col">Failures</th>
              <th scope="col">p50</th>
              <th scope="col">p95</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ name, figures }) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{formatCount(figures.requests)}</td>
                <td>{formatCount(figures.successes)}</td>
                <td>{formatCount(figures.failures)}</td>
                <td>{formatLatency(figures.latency_ms.p50)}</td>
                <td>{formatLatency(figures.latency_ms.p95)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The usage section of a credential's slide-over, with a link to its full usage page. */
export function CredentialUsageSection(props: { orgId: string; credential: CredentialRef; allowed: boolean; withApiLogs: boolean }) {
  const subject = `this ${KIND[props.credential.type]}`;
  if (!props.allowed) {
    return (
      <section className="usage panel-section" aria-label="Usage">
        <h3>Usage</h3>
        <Notice kind="info">Your role does not allow reading the usage of {subject}.</Notice>
      </section>
    );
  }
  return <AllowedCredentialUsageSection {...props} subject={subject} />;
}

function AllowedCredentialUsageSection({ orgId, credential, subject, withApiLogs }: { orgId: string; credential: CredentialRef; subject: string; withApiLogs: boolean }) {
  const usage = useCredentialUsage(orgId, credential);
  return (
    <div className="panel-section">
      <UsageSection
        heading="Usage"
        level={3}
        usage={usage}
        subject={subject}
        headerExtra={
          <p className="usage-more">
            <AppLink href={usageHrefOf(credential)}>{withApiLogs ? 'Usage details and API logs →' : 'Usage details →'}</AppLink>
          </p>
        }
      />
    </div>
  );
}

export const kindOf = (type: CredentialType) => KIND[type];
