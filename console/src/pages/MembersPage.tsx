// Members (admins): invite by email (a new user's password is shown once), change role and the
// "can manage credentials" flag, remove.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import type { Member, Role } from '../types';
import { ConfirmModal } from '../components/overlays';
import { SecretModal, type SecretToShow } from '../components/SecretModal';
import { Field, Loading, Notice } from '../components/ui';

const ROLES: Role[] = ['admin', 'developer', 'member'];
const ROLE_HELP: Record<Role, string> = {
  admin: 'everything, including members and revoke-all',
  developer: 'create, edit, rotate, disable and delete credentials; read the audit log',
  member: 'read-only (with "can manage credentials": restricted tokens too)',
};

export function MembersPage({ orgId, currentUserId, onMembershipChanged }: { orgId: string; currentUserId: string; onMembershipChanged: () => Promise<void> }) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [secret, setSecret] = useState<SecretToShow | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setMembers(await api.members(orgId));
      setLoadError(null);
    } catch (error) {
      setLoadError(error instanceof ApiError ? error.description : String(error));
    }
  }, [orgId]);
  useEffect(() => {
    void load();
  }, [load]);

  const update = async (member: Member, change: { role?: Role; can_manage_credentials?: boolean }) => {
    setBusy(member.user_id);
    // Show the choice at once; a refusal puts the list back as the server has it.
    setMembers((current) => current?.map((m) => (m.user_id === member.user_id ? { ...m, ...change } : m)) ?? current);
    try {
      const updated = await api.updateMember(orgId, member.user_id, change);
      await load();
      setNotice({ kind: 'success', text: `${updated.email} is now ${updated.role}${updated.can_manage_credentials ? ' and can manage credentials' : ''}.` });
      if (member.user_id === currentUserId) await onMembershipChanged();
    } catch (error) {
      await load();
      setNotice({ kind: 'error', text: `${member.email}: ${error instanceof ApiError ? error.description : String(error)}` });
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    if (!removing) return;
    setBusy(removing.user_id);
    setRemoveError(null);
    try {
      await api.removeMember(orgId, removing.user_id);
      // Gone from the table in the same render that says so.
      const removedId = removing.user_id;
      setMembers((current) => current?.filter((m) => m.user_id !== removedId) ?? current);
      setNotice({ kind: 'success', text: `${removing.email} was removed from the organization.` });
      const self = removing.user_id === currentUserId;
      setRemoving(null);
      await load();
      if (self) await onMembershipChanged();
    } catch (error) {
      setRemoveError(error instanceof ApiError ? error.description : String(error));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="members-page">
      <div className="page-header">
        <h1>Members</h1>
      </div>
      <InviteForm
        orgId={orgId}
        onInvited={(member) => {
          setNotice({ kind: 'success', text: `${member.email} was added as ${member.role}.` });
          if (member.password) {
            setSecret({
              title: 'Member Added',
              subject: `${member.email} is a new user. Give them this one-time password through a safe channel.`,
              values: [
                { label: 'Email', value: member.email, secret: false },
                { label: 'Password', value: member.password, secret: true },
              ],
              warning: 'Latchkey keeps only a hash of the password: once you close this window it cannot be shown again.',
            });
          } else {
            setNotice({ kind: 'success', text: `${member.email} already had a Latchkey account and was added as ${member.role}; they sign in with their existing password.` });
          }
          void load();
        }}
      />
      {notice && (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      )}
      {loadError ? (
        <Notice kind="error">Could not load the members: {loadError}</Notice>
      ) : !members ? (
        <Loading what="members" />
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label="Members">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Can manage credentials</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.map((member) => (
                <tr key={member.user_id} data-email={member.email}>
                  <td>
                    {member.email}
                    {member.user_id === currentUserId && <span className="muted"> (you)</span>}
                  </td>
                  <td>
                    <select
                      aria-label={`Role of ${member.email}`}
                      value={member.role}
                      disabled={busy === member.user_id}
                      onChange={(event) => void update(member, { role: event.target.value as Role })}
                    >
                      {ROLES.map((role) => (
                        <option key={role} value={role}>
                          {role}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${member.email} can manage credentials`}
                      checked={member.can_manage_credentials}
                      disabled={busy === member.user_id}
                      onChange={(event) => void update(member, { can_manage_credentials: event.target.checked })}
                    />
                  </td>
                  <td>
                    <button type="button" className="button danger-outline small" onClick={() => setRemoving(member)} disabled={busy === member.user_id}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {removing && (
        <ConfirmModal
          title="Remove the member?"
          confirmLabel="Remove"
          busy={busy === removing.user_id}
          error={removeError}
          onConfirm={() => void remove()}
          onCancel={() => {
            setRemoving(null);
            setRemoveError(null);
          }}
        >
          <p>
            <strong>{removing.email}</strong> loses access to this organization at their next request. Their user account stays.
          </p>
        </ConfirmModal>
      )}
      {secret && <SecretModal secret={secret} onClose={() => setSecret(null)} />}
    </div>
  );
}

function InviteForm({ orgId, onInvited }: { orgId: string; onInvited: (member: Member & { password: string | null }) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [flag, setFlag] = useState(false);
  const [errors, setErrors] = useState<{ email?: string | null; role?: string | null; form?: string | null }>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) {
      setErrors({ email: 'must be an email address' });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const member = await api.addMember(orgId, { email: email.trim(), role, can_manage_credentials: flag });
      setEmail('');
      setFlag(false);
      setRole('member');
      onInvited(member);
    } catch (error) {
      if (error instanceof ApiError && (error.field === 'email' || error.field === 'role')) setErrors({ [error.field]: error.fieldMessage });
      else if (error instanceof ApiError && error.status === 409) setErrors({ email: error.description });
      else setErrors({ form: error instanceof ApiError ? error.description : String(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card invite" onSubmit={submit} noValidate aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a member</h2>
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      <div className="invite-fields">
        <Field label="Email" error={errors.email}>
          {({ id, describedBy, invalid }) => (
            <input id={id} type="email" value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
          )}
        </Field>
        <Field label="Role" hint={ROLE_HELP[role]} error={errors.role}>
          {({ id, describedBy }) => (
            <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)} aria-describedby={describedBy}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="checkbox">
          <input id="invite-flag" type="checkbox" checked={flag} onChange={(e) => setFlag(e.target.checked)} />
          <label htmlFor="invite-flag">Can manage credentials (restricted tokens)</label>
        </div>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Inviting…' : 'Invite'}
        </button>
      </div>
    </form>
  );
}
