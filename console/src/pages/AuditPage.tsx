// The audit log: filters (time range, action, actor, credential), pages of 25 newest first, and
// the CSV export of everything that matches.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api';
import { formatDate } from '../format';
import type { AuditEvent } from '../types';
import { credentialOptions, rangeError, type Option } from '../components/filters';
import { Pager, useCursorPages } from '../components/paging';
import { Field, Loading, Notice } from '../components/ui';

export const AUDIT_ACTIONS = [
  'api_client.created',
  'api_client.updated',
  'api_client.disabled',
  'api_client.enabled',
  'api_client.deleted',
  'api_client.secret_rotated',
  'restricted_token.created',
  'restricted_token.updated',
  'restricted_token.deleted',
  'org.created',
  'org.limits_changed',
  'org.revoke_all',
  'member.added',
  'member.updated',
  'member.removed',
  'user.login',
  'user.login_failed',
  'user.logout',
];

const PAGE_SIZE = 25;

interface Filters {
  from: string;
  to: string;
  action: string;
  actor: string;
  target: string;
}

const EMPTY: Filters = { from: '', to: '', action: '', actor: '', target: '' };

function queryOf(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.from) query.set('from', new Date(filters.from).toISOString());
  if (filters.to) query.set('to', new Date(filters.to).toISOString());
  for (const key of ['action', 'actor', 'target'] as const) if (filters[key]) query.set(key, filters[key]);
  return query;
}

export function AuditPage({ orgId }: { orgId: string }) {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [actors, setActors] = useState<Option[]>([]);
  const [credentials, setCredentials] = useState<Option[]>([]);

  useEffect(() => {
    void Promise.allSettled([api.members(orgId), api.clients(orgId), api.tokens(orgId)]).then(([members, clients, tokens]) => {
      const people = members.status === 'fulfilled' ? members.value.map((m) => ({ value: m.user_id, label: m.email })) : [];
      const machines = clients.status === 'fulfilled' ? clients.value.map((c) => ({ value: c.client_id, label: `${c.name} (API client)` })) : [];
      setActors([...people, ...machines]);
      setCredentials(credentialOptions(clients, tokens));
    });
  }, [orgId]);

  const fetchPage = useCallback(
    (cursor: string | null) => {
      const query = queryOf(applied);
      query.set('limit', String(PAGE_SIZE));
      if (cursor) query.set('cursor', cursor);
      return api.auditEvents(orgId, query);
    },
    [orgId, applied],
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

  return (
    <div className="audit-page">
      <div className="page-header">
        <h1>Audit log</h1>
        <div className="page-actions">
          <a className="button secondary" href={api.auditCsvUrl(orgId, queryOf(applied))} download>
            Download CSV
          </a>
        </div>
      </div>
      <form className="filters" onSubmit={apply} aria-label="Filter the audit log">
        <Field label="From" error={fieldError('from')}>
          {({ id, describedBy }) => <input id={id} type="datetime-local" value={draft.from} onChange={set('from')} aria-describedby={describedBy} />}
        </Field>
        <Field label="To" error={fieldError('to')}>
          {({ id, describedBy }) => <input id={id} type="datetime-local" value={draft.to} onChange={set('to')} aria-describedby={describedBy} />}
        </Field>
        <Field label="Action">
          {({ id }) => (
            <select id={id} value={draft.action} onChange={set('action')}>
              <option value="">Any action</option>
              {AUDIT_ACTIONS.map((action) => (
                <option key={action} value={action}>
                  {action}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Actor">
          {({ id }) => (
            <select id={id} value={draft.actor} onChange={set('actor')}>
              <option value="">Anyone</option>
              {actors.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Credential">
          {({ id }) => (
            <select id={id} value={draft.target} onChange={set('target')}>
              <option value="">Any</option>
              {credentials.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="filter-buttons">
          <button type="submit" className="button primary">
            Apply filters
          </button>
          <button type="button" className="button secondary" onClick={reset}>
            Reset
          </button>
        </div>
      </form>
      {error && !['from', 'to'].includes(error.field ?? '') && <Notice kind="error">{error.text}</Notice>}
      {loading && !page ? (
        <Loading what="audit events" />
      ) : page && page.events.length === 0 ? (
        <div className="empty">
          <p>No audit events match these filters.</p>
        </div>
      ) : page ? (
        <>
          <div className="table-scroll" aria-busy={loading}>
            <table className="data-table" aria-label="Audit events">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Action</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Target</th>
                  <th scope="col">IP</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {page.events.map((event) => (
                  <EventRow key={event.id} event={event} />
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Audit log pages" paging={paging} />
        </>
      ) : null}
    </div>
  );
}

function EventRow({ event }: { event: AuditEvent }) {
  const details = Object.keys(event.metadata).length > 0 ? JSON.stringify(event.metadata) : '';
  return (
    <tr>
      <td>
        <time dateTime={event.at}>{formatDate(event.at)}</time>
      </td>
      <td>
        <code>{event.action}</code>
      </td>
      <td>
        {event.actor.name} <span className="muted">({event.actor.type})</span>
      </td>
      <td>{event.target ? `${event.target.name ?? event.target.id ?? ''} (${event.target.type})` : '—'}</td>
      <td>{event.ip ?? '—'}</td>
      <td className="details-cell" title={details}>
        {details}
      </td>
    </tr>
  );
}
