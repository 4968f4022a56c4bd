// The API page: the banner, View Docs / Run in Postman / Add New, the API Clients and Restricted
// Access Tokens tables, the create and edit slide-overs, and the revoke-all danger zone.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { formatDate, masked } from '../format';
import { WHY, type Abilities } from '../permissions';
import { downloadPostmanCollection } from '../postman';
import type { ApiClient, Catalog, Membership, Organization, RestrictedToken } from '../types';
import { ClientPanel } from '../components/ClientPanel';
import { TokenPanel } from '../components/TokenPanel';
import { SecretModal, type SecretToShow } from '../components/SecretModal';
import { Modal } from '../components/overlays';
import { CopyButton, Field, Loading, Notice, Pills, StatusPill } from '../components/ui';

type Panel = { kind: 'new-client' } | { kind: 'new-token' } | { kind: 'client'; id: string } | { kind: 'token'; id: string } | null;

interface Data {
  clients: ApiClient[];
  tokens: RestrictedToken[];
  catalog: Catalog;
  org: Organization;
}

const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));

export function ApiPage({ membership, abilities }: { membership: Membership; abilities: Abilities }) {
  const orgId = membership.org_id;
  const [data, setData] = useState<Data | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [secret, setSecret] = useState<SecretToShow | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [revoking, setRevoking] = useState(false);

  const load = useCallback(async () => {
    try {
      const [clients, tokens, catalog, org] = await Promise.all([api.clients(orgId), api.tokens(orgId), api.scopes(), api.organization(orgId)]);
      setData({ clients: byName(clients), tokens: byName(tokens), catalog, org });
      setLoadError(null);
    } catch (error) {
      setLoadError(error instanceof ApiError ? error.description : String(error));
    }
  }, [orgId]);

  useEffect(() => {
    void load();
  }, [load]);

  /** After a change: the secret (if any) at once; the success alert together with the fresh tables. */
  const changed = async (message: string, newSecret?: SecretToShow) => {
    setPanel(null);
    setNotice(null);
    if (newSecret) setSecret(newSecret);
    await load();
    setNotice({ kind: 'success', text: message });
  };

  const postman = async () => {
    try {
      await downloadPostmanCollection();
    } catch (error) {
      setNotice({ kind: 'error', text: `The Postman collection could not be built: ${error instanceof Error ? error.message : String(error)}` });
    }
  };

  const client = panel?.kind === 'client' ? data?.clients.find((c) => c.id === panel.id) : undefined;
  const token = panel?.kind === 'token' ? data?.tokens.find((t) => t.id === panel.id) : undefined;

  return (
    <div className="api-page">
      <div className="page-header">
        <h1>API</h1>
        {abilities.createAny && (
          <div className="page-actions">
            <a className="button secondary" href="/console/docs" target="_blank" rel="noopener">
              View Docs
            </a>
            <button type="button" className="button secondary" onClick={() => void postman()}>
              Run in Postman
            </button>
            <AddNewMenu abilities={abilities} onPick={(kind) => setPanel({ kind })} />
          </div>
        )}
      </div>

      <section className="banner" aria-labelledby="banner-title">
        <h2 id="banner-title">Configure your API</h2>
        <p>
          The recommended way in is an <strong>API Client</strong>: your backend exchanges its Client ID and Client Secret for a 60-minute access token (OAuth 2.0
          client credentials), caches it and refreshes it before it expires. Keep the secret on the server.
        </p>
        <p>
          <strong>Restricted Access Tokens</strong> are the fallback for browser-only apps that have no backend: long-lived, read-only scopes, usable only from the IP
          addresses you allow.
        </p>
      </section>

      {notice && (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      )}

      {loadError ? (
        <Notice kind="error">
          Could not load the credentials: {loadError}{' '}
          <button type="button" className="link-button" onClick={() => void load()}>
            Try again
          </button>
        </Notice>
      ) : !data ? (
        <Loading what="credentials" />
      ) : (
        <>
          {data.clients.length === 0 && data.tokens.length === 0 && (
            <div className="empty">
              <p>No credentials yet.</p>
              {abilities.createAny && <p className="muted">Use Add New to create an API client for a backend, or a restricted access token for a browser-only app.</p>}
            </div>
          )}
          {data.clients.length > 0 && <ClientsTable clients={data.clients} onOpen={(id) => setPanel({ kind: 'client', id })} />}
          {data.tokens.length > 0 && <TokensTable tokens={data.tokens} onOpen={(id) => setPanel({ kind: 'token', id })} />}
          {abilities.revokeAll && (
            <section className="danger-zone" aria-labelledby="danger-title">
              <h2 id="danger-title">Danger zone</h2>
              <div className="danger-row">
                <div>
                  <p>
                    <strong>Revoke all credentials</strong>
                  </p>
                  <p className="muted">Disables every API client and deletes every restricted token of {data.org.name} at once. Use it when a secret may have leaked.</p>
                </div>
                <button type="button" className="button danger" onClick={() => setRevoking(true)}>
                  Revoke all…
                </button>
              </div>
            </section>
          )}

          {(panel?.kind === 'new-client' || client) && (
            <ClientPanel
              orgId={orgId}
              client={client ?? null}
              catalog={data.catalog}
              canWrite={abilities.writeClients}
              abilities={abilities}
              onClose={() => setPanel(null)}
              onChanged={(message, newSecret) => void changed(message, newSecret)}
            />
          )}
          {(panel?.kind === 'new-token' || token) && (
            <TokenPanel
              orgId={orgId}
              token={token ?? null}
              catalog={data.catalog}
              canWrite={abilities.writeTokens}
              abilities={abilities}
              onClose={() => setPanel(null)}
              onChanged={(message, newSecret) => void changed(message, newSecret)}
            />
          )}
          {revoking && (
            <RevokeAllModal
              org={data.org}
              onClose={() => setRevoking(false)}
              onDone={(message) => {
                setRevoking(false);
                void changed(message);
              }}
            />
          )}
        </>
      )}
      {secret && <SecretModal secret={secret} onClose={() => setSecret(null)} />}
    </div>
  );
}

function AddNewMenu({ abilities, onPick }: { abilities: Abilities; onPick: (kind: 'new-client' | 'new-token') => void }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])')?.focus();
    const close = (event: MouseEvent) => {
      if (!ref.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape') {
      setOpen(false);
      ref.current?.querySelector<HTMLElement>('button')?.focus();
    }
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
      const index = items.indexOf(document.activeElement as HTMLElement);
      items[(index + (event.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
    }
  };
  const item = (kind: 'new-client' | 'new-token', title: string, subtitle: string, allowed: boolean, why: string) => (
    <button
      type="button"
      role="menuitem"
      className="menu-item"
      aria-disabled={!allowed}
      title={allowed ? undefined : why}
      onClick={() => {
        if (!allowed) return;
        setOpen(false);
        onPick(kind);
      }}
    >
      <span className="menu-title">{title}</span>
      <span className="menu-subtitle">{allowed ? subtitle : why}</span>
    </button>
  );
  return (
    <div className="menu" ref={ref} onKeyDown={onKeyDown}>
      <button type="button" className="button primary" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        Add New ▾
      </button>
      {open && (
        <div className="menu-list" role="menu" aria-label="Add New">
          {item('new-client', 'API Client', 'Create a secure API client', abilities.writeClients, WHY.clients)}
          {item('new-token', 'Restricted Access Token', 'Create a restricted access token', abilities.writeTokens, WHY.tokens)}
        </div>
      )}
    </div>
  );
}

/** A row opens its slide-over on click, Enter or Space. */
function rowProps(open: () => void, label: string) {
  return {
    className: 'clickable',
    tabIndex: 0,
    title: label,
    onClick: open,
    onKeyDown: (event: React.KeyboardEvent) => {
      if (event.target !== event.currentTarget) return;
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open();
      }
    },
  };
}

function ClientsTable({ clients, onOpen }: { clients: ApiClient[]; onOpen: (id: string) => void }) {
  return (
    <section className="table-section" aria-labelledby="clients-title">
      <h2 id="clients-title">API Clients</h2>
      <div className="table-scroll">
        <table className="data-table" aria-labelledby="clients-title">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Client ID</th>
              <th scope="col">Client Secret</th>
              <th scope="col">Allowed Origins</th>
              <th scope="col">Status</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {clients.map((client) => (
              <tr key={client.id} data-id={client.id} {...rowProps(() => onOpen(client.id), `Open API client ${client.name}`)}>
                <td className="name-cell">{client.name}</td>
                <td className="description-cell">{client.description || <span className="muted">—</span>}</td>
                <td>
                  <CopyButton value={client.client_id} label={`Copy Client ID of ${client.name}`} className="copy-id">
                    <code>{client.client_id}</code>
                  </CopyButton>
                </td>
                <td>
                  <code>{masked(client.secret_last4)}</code>
                </td>
                <td>
                  <Pills values={client.allowed_origins} empty="Any (backend only)" />
                </td>
                <td>
                  <StatusPill status={client.status} />
                </td>
                <td>{formatDate(client.last_used_at)}</td>
                <td>{formatDate(client.expires_at, 'Never')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function TokensTable({ tokens, onOpen }: { tokens: RestrictedToken[]; onOpen: (id: string) => void }) {
  return (
    <section className="table-section" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Restricted Access Tokens</h2>
      <div className="table-scroll">
        <table className="data-table" aria-labelledby="tokens-title">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Token</th>
              <th scope="col">Allowed IPs</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id} data-id={token.id} {...rowProps(() => onOpen(token.id), `Open restricted token ${token.name}`)}>
                <td className="name-cell">{token.name}</td>
                <td>
                  <code>{masked(token.token_last4)}</code>
                </td>
                <td>
                  <Pills values={token.allowed_ips} />
                </td>
                <td>{formatDate(token.last_used_at)}</td>
                <td>{formatDate(token.expires_at, 'Never')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function RevokeAllModal({ org, onClose, onDone }: { org: Organization; onClose: () => void; onDone: (message: string) => void }) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const matches = typed === org.name;
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await api.revokeAll(org.id, typed);
      onDone(`Revoked: ${result.api_clients_disabled} API client(s) disabled, ${result.restricted_tokens_deleted} restricted token(s) deleted.`);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.description : String(failure));
      setBusy(false);
    }
  };
  return (
    <Modal
      title={`Revoke all credentials of ${org.name}?`}
      tone="danger"
      onClose={busy ? null : onClose}
      footer={
        <>
          <button type="button" className="button secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="button danger" disabled={!matches || busy} onClick={() => void submit()}>
            {busy ? 'Revoking…' : 'Revoke all credentials'}
          </button>
        </>
      }
    >
      <p>
        Every active API client is disabled and every restricted token deleted, at once. Integrations stop working until you create new credentials; only the
        operator can re-enable the clients.
      </p>
      <Field label={`Type the organization's name, ${org.name}, to confirm`} error={error}>
        {({ id, describedBy }) => (
          <input id={id} value={typed} onChange={(e) => setTyped(e.target.value)} aria-describedby={describedBy} autoComplete="off" data-autofocus />
        )}
      </Field>
    </Modal>
  );
}
