// The restricted access token slide-over: create (name, IPs, restricted scopes, expiry), or view
// and edit an existing one (update name and IPs, delete) and see its usage.
import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { formatDate, masked, toLocalInput } from '../format';
import { WHY, type Abilities } from '../permissions';
import type { Catalog, RestrictedToken } from '../types';
import { checkName, expiryOf, ipProblem, listProblem, splitList } from '../validation';
import { Guarded, useFormErrors } from './ClientPanel';
import { ConfirmModal, SlideOver } from './overlays';
import { CredentialUsageSection } from './UsageReport';
import { ScopePicker } from './ScopePicker';
import type { SecretToShow } from './SecretModal';
import { Disabled, Field, Notice, Pills } from './ui';

type FieldName = 'name' | 'allowed_ips' | 'scopes' | 'expires_at';
const FIELDS = new Set(['name', 'allowed_ips', 'scopes', 'expires_at']);

export function TokenPanel(props: {
  orgId: string;
  token: RestrictedToken | null;
  catalog: Catalog;
  canWrite: boolean;
  abilities: Abilities;
  onClose: () => void;
  onChanged: (message: string, secret?: SecretToShow) => void;
}) {
  const { token, canWrite } = props;
  const [name, setName] = useState(token?.name ?? '');
  const [ips, setIps] = useState(token?.allowed_ips.join(', ') ?? '');
  const [scopes, setScopes] = useState<string[]>([]);
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const { errors, setErrors, formError, setFormError, showApiError } = useFormErrors<FieldName>(FIELDS);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [confirmError, setConfirmError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const list = splitList(ips);
    const found: Partial<Record<FieldName, string | null>> = {
      name: checkName(name),
      allowed_ips: list.length === 0 ? 'must hold at least one IP address or CIDR' : listProblem(list, ipProblem, 100, 'entries'),
    };
    if (!token) {
      found.scopes = scopes.length === 0 ? 'must hold at least one scope' : null;
      found.expires_at = expiryOf(expires).problem;
    }
    setErrors(found);
    setFormError(null);
    if (Object.values(found).some(Boolean)) return;
    setBusy(true);
    try {
      if (!token) {
        const created = await api.createToken(props.orgId, {
          name: name.trim(),
          allowed_ips: list,
          scopes,
          ...(expires ? { expires_at: expiryOf(expires).value } : {}),
        });
        props.onChanged(`Restricted access token "${created.name}" created.`, {
          title: 'Restricted Access Token Created',
          subject: `The token "${created.name}", usable from ${created.allowed_ips.join(', ')}.`,
          values: [{ label: 'Token', value: created.token, secret: true }],
          warning: 'Latchkey keeps only a hash of the token: once you close this window it cannot be shown again. Treat it as a secret even though it is bound to IP addresses.',
        });
      } else {
        const changes: Record<string, unknown> = {};
        if (name.trim() !== token.name) changes.name = name.trim();
        if (list.join('\n') !== token.allowed_ips.join('\n')) changes.allowed_ips = list;
        if (Object.keys(changes).length === 0) {
          setFormError('Nothing to update: change the name or allowed IP addresses first.');
          return;
        }
        const updated = await api.updateToken(props.orgId, token.id, changes);
        props.onChanged(`Restricted access token "${updated.name}" updated.`);
      }
    } catch (error) {
      showApiError(error);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!token) return;
    setBusy(true);
    setConfirmError(null);
    try {
      await api.deleteToken(props.orgId, token.id);
      props.onChanged(`Restricted access token "${token.name}" deleted.`);
    } catch (error) {
      setConfirmError(error instanceof ApiError ? error.description : String(error));
      setBusy(false);
    }
  };

  const readOnly = !canWrite;
  const submitButton = (
    <button type="submit" form="token-form" className="button primary" disabled={busy || readOnly}>
      {busy && !confirmDelete ? 'Saving…' : token ? 'Update' : 'Add'}
    </button>
  );

  return (
    <SlideOver
      title={token ? token.name : 'Add Restricted Access Token'}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="button secondary" onClick={props.onClose}>
            Cancel
          </button>
          {readOnly ? <Disabled why={WHY.tokens}>{submitButton}</Disabled> : submitButton}
        </>
      }
    >
      {readOnly && <Notice kind="info">{WHY.tokens} You can look at this token but not change it.</Notice>}
      {!token && (
        <Notice kind="info">
          Restricted tokens are for browser-only apps without a backend. They reach only read-only scopes and work only from the IP addresses you list. If you have a
          backend, create an API client instead.
        </Notice>
      )}
      {formError && <Notice kind="error">{formError}</Notice>}
      <form id="token-form" onSubmit={submit} noValidate>
        <fieldset disabled={readOnly} className="plain">
          <Field label="Token Name" hint="Up to 64 characters, e.g. Partner portal." error={errors.name}>
            {({ id, describedBy, invalid }) => (
              <input id={id} value={name} onChange={(e) => setName(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} maxLength={200} />
            )}
          </Field>
          <Field label="Allowed IP Addresses" hint="Comma-separated IPv4 or IPv6 addresses or CIDR ranges, e.g. 203.0.113.7, 10.0.0.0/8." error={errors.allowed_ips}>
            {({ id, describedBy, invalid }) => (
              <input id={id} value={ips} onChange={(e) => setIps(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
            )}
          </Field>
          {!token && (
            <>
              <ScopePicker catalog={props.catalog} restrictedOnly selected={scopes} onChange={setScopes} error={errors.scopes ?? null} disabled={readOnly} />
              <Field label="Expires" hint="Optional. Leave empty for no expiry. Scopes and expiry cannot be changed later." error={errors.expires_at}>
                {({ id, describedBy, invalid }) => (
                  <input id={id} type="datetime-local" min={toLocalInput(new Date())} value={expires} onChange={(e) => setExpires(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
                )}
              </Field>
            </>
          )}
        </fieldset>
      </form>

      {token && (
        <>
          <dl className="details">
            <dt>Token</dt>
            <dd>
              <code>{masked(token.token_last4)}</code>
            </dd>
            <dt>Scopes</dt>
            <dd>
              <Pills values={token.scopes} />
            </dd>
            <dt>Expires</dt>
            <dd>{formatDate(token.expires_at, 'Never')}</dd>
            <dt>Last used</dt>
            <dd>{formatDate(token.last_used_at)}</dd>
            <dt>Created</dt>
            <dd>
              {formatDate(token.created_at)} by {token.created_by.name}
            </dd>
          </dl>
          <CredentialUsageSection
            orgId={props.orgId}
            credential={{ type: 'restricted_token', id: token.id }}
            allowed={props.abilities.readTokens}
            withApiLogs={props.abilities.readAudit}
          />
          <section className="panel-section danger-section" aria-labelledby="token-delete-heading">
            <h3 id="token-delete-heading">Delete</h3>
            <p className="hint">The token stops working at once. A lost token cannot be shown again: delete it and create a new one.</p>
            <Guarded why={readOnly ? WHY.tokens : null}>
              <button type="button" className="button danger" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            </Guarded>
          </section>
          {confirmDelete && (
            <ConfirmModal
              title="Delete the restricted access token?"
              confirmLabel="Delete"
              busy={busy}
              error={confirmError}
              onConfirm={() => void remove()}
              onCancel={() => {
                setConfirmDelete(false);
                setConfirmError(null);
              }}
            >
              <p>
                <strong>{token.name}</strong> ({masked(token.token_last4)}) will stop working at once. This cannot be undone.
              </p>
            </ConfirmModal>
          )}
        </>
      )}
    </SlideOver>
  );
}
