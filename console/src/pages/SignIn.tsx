import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import type { Session } from '../types';
import { Field, Notice } from '../components/ui';

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.login(email.trim(), password));
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.description : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="centered">
      <form className="card sign-in" onSubmit={submit} noValidate>
        <h1>Sign in to Latchkey</h1>
        {error && <Notice kind="error">{error}</Notice>}
        <Field label="Email">
          {({ id }) => <input id={id} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password">
          {({ id }) => (
            <input id={id} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        <button type="submit" className="button primary wide" disabled={busy || email.trim() === '' || password === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
