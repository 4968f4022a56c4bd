// The API logs: each token request and introspection, newest first, with filters (time range,
// event, status, credential), pages of 25 and the CSV export of everything that matches. For the
// whole organization, or for one credential.
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { api } from '../api';
import { formatInstant } from '../format';
import { usageHrefOf, type CredentialRef } from '../router';
import type { ApiLogEntry, ApiLogEvent } from '../types';
import { credentialOptions, rangeError, type Option } from './filters';
import { Pager, useCursorPages } from './paging';
import { AppLink, Field, Loading, Notice } from './ui';

export const API_LOG_EVENTS: readonly ApiLogEvent[] = ['token.issued', 'token.refused', 'introspection.active', 'introspection.inactive', 'introspection.refused'];
const PAGE_SIZE = 25;

interface Filters {
  from: string;
  to: string;
  event: string;
  status: string;
  credential: string;
}
const EMPTY: Filters = { from: '', to: '', event: '', status: '', credential: '' };

function queryOf(filters: Filters, credentialId: string | undefined): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.from) query.set('from', new Date(filters.from).toISOString());
  if (filters.to) query.set('to', new Date(filters.to).toISOString());
  if (filters.event) query.set('event', filters.event);
  if (filters.status.trim()) query.set('status', filters.status.replace(/\s+/g, ''));
  // An API client's id names it as well as its client_id does.
  const about = credentialId ?? filters.credential;
  if (about) query.set('credential', about);
  return query;
}

export function ApiLogs({ orgId, credential }: { orgId: string; credential?: CredentialRef }) {
  const headingId = useId();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [credentials, setCredentials] = useState<Option[]>([]);

  useEffect(() => {
    if (credential) return;
    void Promise.allSettled([api.clients(orgId), api.tokens(orgId)]).then(([clients, tokens]) => setCredentials(credentialOptions(clients, tokens)));
  }, [orgId, credential]);

  const credentialId = credential?.id;
  const fetchPage = useCallback(
    (cursor: string | null) => {
      const query = queryOf(applied, credentialId);
      query.set('limit', String(PAGE_SIZE));
      if (cursor) query.set('cursor', cursor);
      return api.apiLogs(orgId, query);
    },
    // The credential's id, not its object: a parent's re-render must not start over at page 1.
    [orgId, applied, credentialId],
  );
  const paging = useCursorPages(fetchPage);
  const { page, loading, error } = paging;

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const invalid = rangeError(draft.from, draft.to);
    if (invalid) return paging.setError(invalid);
    // A new object even when the filters are the same: applying them again reads page 1 anew.
    setApplied({ ...draft });
  };
  const reset = () => {
    setDraft(EMPTY);
    setApplied({ ...EMPTY });
  };
  const set = (key: keyof Filters) => (event: { target: { value: string } }) => setDraft({ ...draft, [key]: event.target.value });
  const fieldError = (field: string) => (error && error.field === field ? error.text : null);
  const fieldErrors = ['from', 'to', 'status'];

  return (
    <section className="api-logs" aria-labelledby={headingId}>
      <div className="usage-header">
        <h2 id={headingId}>API logs</h2>
        <a className="button secondary small" href={api.apiLogsCsvUrl(orgId, queryOf(applied, credentialId))} download>
          Download CSV
        </a>
      </div>
      <p className="muted">
        Each token request and introspection{credential ? ' of this credential' : ''}, newest first, with its outcome, IP address and request id (to find it in
        the server log). Entries are kept for 30 days unless the operator set otherwise; a credential flooding the server is counted in full above but logged
        only up to a rate.
      </p>
      <form className="filters" onSubmit={apply} aria-label="Filter the API logs">
        <Field label="From" error={fieldError('from')}>
          {({ id, describedBy }) => <input id={id} type="datetime-local" value={draft.from} onChange={set('from')} aria-describedby={describedBy} />}
        </Field>
        <Field label="To" error={fieldError('to')}>
          {({ id, describedBy }) => <input id={id} type="datetime-local" value={draft.to} onChange={set('to')} aria-describedby={describedBy} />}
        </Field>
        <Field label="Event">
          {({ id }) => (
            <select id={id} value={draft.event} onChange={set('event')}>
              <option value="">Any event</option>
              {API_LOG_EVENTS.map((event) => (
                <option key={event} value={event}>
                  {event}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Status" hint="Codes or classes: 401, 429 or 4xx" error={fieldError('status')}>
          {({ id, describedBy, invalid }) => (
            <input id={id} value={draft.status} onChange={set('status')} aria-describedby={describedBy} aria-invalid={invalid} placeholder="Any" />
          )}
        </Field>
        {!credential && (
          <Field label="Credential">
            {({ id }) => (
              <select id={id} value={draft.credential} onChange={set('credential')}>
                <option value="">Any</option>
                {credentials.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <div className="filter-buttons">
          <button type="submit" className="button primary">
            Apply filters
          </button>
          <button type="button" className="button secondary" onClick={reset}>
            Reset
          </button>
        </div>
      </form>
      {error && !fieldErrors.includes(error.field ?? '') && (
        <Notice kind="error">
          Could not load the API logs: {error.text}{' '}
          <button type="button" className="link-button" onClick={paging.reload}>
            Try again
          </button>
        </Notice>
      )}
      {loading && !page ? (
        <Loading what="API logs" />
      ) : page && page.events.length === 0 ? (
        <div className="empty">
          <p>No API log entries match these filters.</p>
        </div>
      ) : page ? (
        <>
          <div className="table-scroll" aria-busy={loading}>
            <table className="data-table compact" aria-label="API log entries">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Event</th>
                  {!credential && <th scope="col">Credential</th>}
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Scope</th>
                  <th scope="col">IP</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Request id</th>
                </tr>
              </thead>
              <tbody>
                {page.events.map((entry) => (
                  <LogRow key={entry.id} entry={entry} showCredential={!credential} />
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="API log pages" paging={paging} />
        </>
      ) : null}
    </section>
  );
}

function LogRow({ entry, showCredential }: { entry: ApiLogEntry; showCredential: boolean }) {
  const { credential } = entry;
  const kind = credential.type === 'api_client' ? 'API client' : 'restricted token';
  const name = credential.name ?? credential.client_id ?? credential.id ?? 'unknown';
  return (
    <tr>
      <td>
        <time dateTime={entry.at}>{formatInstant(entry.at)}</time>
      </td>
      <td>
        <code>{entry.event}</code>
      </td>
      {showCredential && (
        <td>
          {credential.id ? <AppLink href={usageHrefOf({ type: credential.type, id: credential.id })}>{name}</AppLink> : name}{' '}
          <span className="muted">({kind})</span>
        </td>
      )}
      <td className={entry.reason ? 'status-error' : 'status-ok'}>{entry.status}</td>
      <td>{entry.reason ? <code>{entry.reason}</code> : '—'}</td>
      <td>{entry.scope ?? '—'}</td>
      <td>{entry.ip ?? '—'}</td>
      <td>{entry.latency_ms} ms</td>
      <td className="request-id" title={entry.request_id ?? undefined}>
        {entry.request_id ? <code>{entry.request_id}</code> : '—'}
      </td>
    </tr>
  );
}
