// The API client slide-over: create (name, description, origins, scopes, expiry), or view and
// edit an existing one (update, rotate secret, disable, delete) and see its usage.
import { cloneElement, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { formatDate, masked, toLocalInput } from '../format';
import { WHY, type Abilities } from '../permissions';
import type { ApiClient, Catalog } from '../types';
import { checkDescription, checkName, expiryOf, listProblem, originProblem, splitList } from '../validation';
import { ConfirmModal, SlideOver } from './overlays';
import { CredentialUsageSection } from './UsageReport';
import { ScopePicker } from './ScopePicker';
import type { SecretToShow } from './SecretModal';
import { CopyButton, Disabled, Field, Notice, Pills, StatusPill } from './ui';

type Errors = Partial<Record<'name' | 'description' | 'allowed_origins' | 'scopes' | 'expires_at', string | null>>;
const FIELDS = new Set(['name', 'description', 'allowed_origins', 'scopes', 'expires_at']);

export function useFormErrors<K extends string>(fields: Set<string>) {
  const [errors, setErrors] = useState<Partial<Record<K, string | null>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  /** Puts an API error next to the field it names, or above the form. */
  const showApiError = (error: unknown) => {
    if (error instanceof ApiError && error.field && fields.has(error.field)) {
      setErrors((current) => ({ ...current, [error.field as K]: error.fieldMessage }));
      setFormError(null);
    } else {
      setFormError(error instanceof ApiError ? error.description : String(error));
    }
  };
  return { errors, setErrors, formError, setFormError, showApiError };
}

const GRACE_PERIODS = [
  { seconds: 0, label: 'None: the old secret stops working at once' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '24 hours' },
  { seconds: 604800, label: '7 days (the longest)' },
];

export function ClientPanel(props: {
  orgId: string;
  client: ApiClient | null;
  catalog: Catalog;
  canWrite: boolean;
  abilities: Abilities;
  onClose: () => void;
  onChanged: (message: string, secret?: SecretToShow) => void;
}) {
  const { client, canWrite } = props;
  const [name, setName] = useState(client?.name ?? '');
  const [description, setDescription] = useState(client?.description ?? '');
  const [origins, setOrigins] = useState(client?.allowed_origins.join(', ') ?? '');
  const [scopes, setScopes] = useState<string[]>([]);
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const { errors, setErrors, formError, setFormError, showApiError } = useFormErrors<keyof Errors>(FIELDS);
  const [confirm, setConfirm] = useState<'rotate' | 'disable' | 'delete' | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const [grace, setGrace] = useState(0);

  const validate = (): Errors => {
    const found: Errors = {
      name: checkName(name),
      description: checkDescription(description),
      allowed_origins: listProblem(splitList(origins), originProblem, 50, 'origins'),
    };
    if (!client) {
      found.scopes = scopes.length === 0 ? 'must hold at least one scope' : null;
      found.expires_at = expiryOf(expires).problem;
    }
    return found;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate();
    setErrors(found);
    setFormError(null);
    if (Object.values(found).some(Boolean)) return;
    setBusy(true);
    try {
      if (!client) {
        const created = await api.createClient(props.orgId, {
          name: name.trim(),
          description,
          allowed_origins: splitList(origins),
          scopes,
          ...(expires ? { expires_at: expiryOf(expires).value } : {}),
        });
        props.onChanged(`API client "${created.name}" created.`, {
          title: 'API Client Created',
          subject: `Store the Client ID and Client Secret of "${created.name}" in your secrets manager now.`,
          values: [
            { label: 'Client ID', value: created.client_id, secret: false },
            { label: 'Client Secret', value: created.client_secret, secret: true },
          ],
          warning: 'Latchkey keeps only a hash of the secret: once you close this window it cannot be shown again. Keep it on your backend, never in browser code or a repository.',
        });
      } else {
        const changes: Record<string, unknown> = {};
        if (name.trim() !== client.name) changes.name = name.trim();
        if (description !== client.description) changes.description = description;
        const list = splitList(origins);
        if (list.join('\n') !== client.allowed_origins.join('\n')) changes.allowed_origins = list;
        if (Object.keys(changes).length === 0) {
          setFormError('Nothing to update: change the name, description or allowed origins first.');
          return;
        }
        const updated = await api.updateClient(props.orgId, client.id, changes);
        props.onChanged(`API client "${updated.name}" updated.`);
      }
    } catch (error) {
      showApiError(error);
    } finally {
      setBusy(false);
    }
  };

  const act = async () => {
    if (!client || !confirm) return;
    setBusy(true);
    setConfirmError(null);
    try {
      if (confirm === 'rotate') {
        const rotated = await api.rotateSecret(props.orgId, client.id, grace);
        props.onChanged(`The secret of "${client.name}" was rotated.`, {
          title: 'Client Secret Rotated',
          subject: `The new Client Secret of "${client.name}".`,
          values: [
            { label: 'Client ID', value: rotated.client_id, secret: false },
            { label: 'Client Secret', value: rotated.client_secret, secret: true },
          ],
          warning: 'Once you close this window it cannot be shown again.',
          note: rotated.previous_secret_expires_at
            ? `The previous secret keeps working until ${formatDate(rotated.previous_secret_expires_at)}.`
            : 'The previous secret has stopped working.',
        });
      } else if (confirm === 'disable') {
        await api.disableClient(props.orgId, client.id);
        props.onChanged(`API client "${client.name}" disabled.`);
      } else {
        await api.deleteClient(props.orgId, client.id);
        props.onChanged(`API client "${client.name}" deleted.`);
      }
    } catch (error) {
      setConfirmError(error instanceof ApiError ? error.description : String(error));
      setBusy(false);
    }
  };

  const readOnly = !canWrite;
  const submitLabel = client ? 'Update' : 'Add';
  const submitButton = (
    <button type="submit" form="client-form" className="button primary" disabled={busy || readOnly}>
      {busy && !confirm ? 'Saving…' : submitLabel}
    </button>
  );

  return (
    <SlideOver
      title={client ? client.name : 'Add API Client'}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="button secondary" onClick={props.onClose}>
            Cancel
          </button>
          {readOnly ? <Disabled why={WHY.clients}>{submitButton}</Disabled> : submitButton}
        </>
      }
    >
      {readOnly && <Notice kind="info">{WHY.clients} You can look at this API client but not change it.</Notice>}
      {formError && <Notice kind="error">{formError}</Notice>}
      <form id="client-form" onSubmit={submit} noValidate>
        <fieldset disabled={readOnly} className="plain">
          <Field label="Client Name" hint="Up to 64 characters, e.g. Payroll export." error={errors.name}>
            {({ id, describedBy, invalid }) => (
              <input id={id} value={name} onChange={(e) => setName(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} maxLength={200} />
            )}
          </Field>
          <Field label="Description" hint="Optional: what the client does, which system it belongs to (up to 500 characters)." error={errors.description}>
            {({ id, describedBy, invalid }) => (
              <textarea id={id} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
            )}
          </Field>
          <Field
            label="Allowed Origins"
            hint="Optional, comma-separated browser origins, e.g. https://app.example.com, http://localhost:3000. Leave empty for a backend-only client."
            error={errors.allowed_origins}
          >
            {({ id, describedBy, invalid }) => (
              <input id={id} value={origins} onChange={(e) => setOrigins(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
            )}
          </Field>
          {!client && (
            <>
              <ScopePicker catalog={props.catalog} restrictedOnly={false} selected={scopes} onChange={setScopes} error={errors.scopes ?? null} disabled={readOnly} />
              <Field label="Expires" hint="Optional. Leave empty for no expiry. Scopes and expiry cannot be changed later." error={errors.expires_at}>
                {({ id, describedBy, invalid }) => (
                  <input id={id} type="datetime-local" min={toLocalInput(new Date())} value={expires} onChange={(e) => setExpires(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
                )}
              </Field>
            </>
          )}
        </fieldset>
      </form>

      {client && (
        <>
          <dl className="details">
            <dt>Client ID</dt>
            <dd>
              <code>{client.client_id}</code> <CopyButton value={client.client_id} label="Copy Client ID" />
            </dd>
            <dt>Client Secret</dt>
            <dd>
              <code>{masked(client.secret_last4)}</code>
            </dd>
            <dt>Status</dt>
            <dd>
              <StatusPill status={client.status} />
            </dd>
            <dt>Scopes</dt>
            <dd>
              <Pills values={client.scopes} />
            </dd>
            <dt>Expires</dt>
            <dd>{formatDate(client.expires_at, 'Never')}</dd>
            <dt>Last used</dt>
            <dd>{formatDate(client.last_used_at)}</dd>
            <dt>Created</dt>
            <dd>
              {formatDate(client.created_at)} by {client.created_by.name}
            </dd>
          </dl>

          <CredentialUsageSection
            orgId={props.orgId}
            credential={{ type: 'api_client', id: client.id }}
            allowed={props.abilities.readClients}
            withApiLogs={props.abilities.readAudit}
          />

          <section className="panel-section" aria-labelledby="rotate-heading">
            <h3 id="rotate-heading">Rotate secret</h3>
            <p className="hint">Issues a new secret, shown once. The old one stops working at once, or after a grace period so you can roll it out without downtime.</p>
            <Field label="Grace period for the old secret">
              {({ id }) => (
                <select id={id} value={grace} onChange={(e) => setGrace(Number(e.target.value))} disabled={readOnly || client.status !== 'active'}>
                  {GRACE_PERIODS.map((p) => (
                    <option key={p.seconds} value={p.seconds}>
                      {p.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Guarded why={readOnly ? WHY.clients : client.status !== 'active' ? 'A disabled API client cannot be rotated.' : null}>
              <button type="button" className="button secondary" onClick={() => setConfirm('rotate')}>
                Rotate secret
              </button>
            </Guarded>
          </section>

          <section className="panel-section danger-section" aria-labelledby="retire-heading">
            <h3 id="retire-heading">Disable or delete</h3>
            <p className="hint">Disabling is permanent for organization users (the operator can re-enable). Deleting removes the client from every list. Either takes effect at once.</p>
            <div className="button-row">
              <Guarded why={readOnly ? WHY.clients : client.status !== 'active' ? 'This API client is already disabled.' : null}>
                <button type="button" className="button danger-outline" onClick={() => setConfirm('disable')}>
                  Disable
                </button>
              </Guarded>
              <Guarded why={readOnly ? WHY.clients : null}>
                <button type="button" className="button danger" onClick={() => setConfirm('delete')}>
                  Delete
                </button>
              </Guarded>
            </div>
          </section>
        </>
      )}

      {client && confirm && (
        <ConfirmModal
          title={confirm === 'rotate' ? 'Rotate the secret?' : confirm === 'disable' ? 'Disable the API client?' : 'Delete the API client?'}
          confirmLabel={confirm === 'rotate' ? 'Rotate secret' : confirm === 'disable' ? 'Disable' : 'Delete'}
          busy={busy}
          error={confirmError}
          onConfirm={() => void act()}
          onCancel={() => {
            setConfirm(null);
            setConfirmError(null);
          }}
        >
          <p>
            {confirm === 'rotate' && (
              <>
                A new secret will be issued for <strong>{client.name}</strong> ({client.client_id}).{' '}
                {grace === 0 ? 'The current secret stops working at once.' : `The current secret keeps working for ${GRACE_PERIODS.find((p) => p.seconds === grace)?.label}.`}
              </>
            )}
            {confirm === 'disable' && (
              <>
                <strong>{client.name}</strong> ({client.client_id}) will stop obtaining tokens at once, and tokens it holds stop passing introspection. Only the operator can enable it again.
              </>
            )}
            {confirm === 'delete' && (
              <>
                <strong>{client.name}</strong> ({client.client_id}) will be removed at once. Integrations using it start failing. This cannot be undone.
              </>
            )}
          </p>
        </ConfirmModal>
      )}
    </SlideOver>
  );
}

/** The child control, disabled with a tooltip naming the reason when `why` is set. */
export function Guarded({ why, children }: { why: string | null; children: React.ReactElement<{ disabled?: boolean }> }) {
  if (!why) return children;
  return (
    <Disabled why={why}>
      {cloneElement(children, { disabled: true })}
    </Disabled>
  );
}
