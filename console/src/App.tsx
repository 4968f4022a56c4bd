// The shell: who is signed in, which organization is selected, and which screen is shown.
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, setSessionEndedHandler } from './api';
import { abilitiesOf } from './permissions';
import { hrefOf, NavigateContext, useRoute, type Screen } from './router';
import type { Session } from './types';
import { Loading, Notice } from './components/ui';
import { SignIn } from './pages/SignIn';
import { ApiPage } from './pages/ApiPage';
import { AuditPage } from './pages/AuditPage';
import { UsagePage } from './pages/UsagePage';
import { MembersPage } from './pages/MembersPage';
import { DocsPage } from './pages/DocsPage';

const ORG_KEY = 'latchkey.console.org';
/**
 * Set while this browser has a session. The session cookie is HttpOnly, so without this hint the
 * console could only learn that nobody is signed in from a 401 of GET /v1/me.
 */
const SIGNED_IN_KEY = 'latchkey.console.signed-in';

export function App() {
  const [route, navigate] = useRoute();
  const { screen } = route;
  const go = (target: Screen) => navigate(hrefOf(target));
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [orgId, setOrgId] = useState<string | null>(() => window.localStorage.getItem(ORG_KEY));

  const loadSession = useCallback(async () => {
    if (window.localStorage.getItem(SIGNED_IN_KEY) === null) {
      setSession(null);
      return;
    }
    try {
      setSession(await api.me());
      setLoadError(null);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        window.localStorage.removeItem(SIGNED_IN_KEY);
        setSession(null);
      }
      else setLoadError(error instanceof Error ? error.message : String(error));
    }
  }, []);

  useEffect(() => {
    setSessionEndedHandler(() => {
      window.localStorage.removeItem(SIGNED_IN_KEY);
      setSession(null);
    });
    return () => setSessionEndedHandler(null);
  }, []);

  useEffect(() => {
    // The API reference needs no session: it documents the public /v1/openapi.json.
    if (screen !== 'docs') void loadSession();
  }, [screen, loadSession]);

  const selectOrg = (id: string) => {
    window.localStorage.setItem(ORG_KEY, id);
    setOrgId(id);
    // A credential's usage page belongs to the organization it was opened in.
    if (route.credential) navigate(hrefOf('usage'));
  };

  if (screen === 'docs') return <DocsPage />;
  if (loadError) {
    return (
      <main className="centered">
        <Notice kind="error">{loadError}</Notice>
        <button type="button" className="button primary" onClick={() => void loadSession()}>
          Try again
        </button>
      </main>
    );
  }
  if (session === undefined) {
    return (
      <main className="centered">
        <Loading what="your session" />
      </main>
    );
  }
  if (session === null) {
    return (
      <SignIn
        onSignedIn={(signedIn) => {
          window.localStorage.setItem(SIGNED_IN_KEY, '1');
          setSession(signedIn);
        }}
      />
    );
  }

  const membership = session.memberships.find((m) => m.org_id === orgId) ?? session.memberships[0];
  const abilities = abilitiesOf(membership);
  const signOut = async () => {
    try {
      await api.logout();
    } finally {
      window.localStorage.removeItem(SIGNED_IN_KEY);
      setSession(null);
    }
  };
  // A screen the role cannot use falls back to the API page.
  const allowed: Record<Screen, boolean> = { api: true, docs: true, usage: abilities.readOrg, audit: abilities.readAudit, members: abilities.manageMembers };
  const shown: Screen = allowed[screen] ? screen : 'api';
  const nav = (target: Screen, label: string) =>
    allowed[target] && (
      <a
        href={hrefOf(target)}
        className={shown === target ? 'nav-link active' : 'nav-link'}
        aria-current={shown === target ? 'page' : undefined}
        onClick={(event) => {
          event.preventDefault();
          go(target);
        }}
      >
        {label}
      </a>
    );

  return (
    <NavigateContext.Provider value={navigate}>
      <div className="shell">
        <header className="topbar">
          <a className="brand" href={hrefOf('api')} onClick={(event) => { event.preventDefault(); go('api'); }}>
            Latchkey
          </a>
          <nav aria-label="Main" className="nav">
            {nav('api', 'API')}
            {nav('usage', 'Usage')}
            {nav('audit', 'Audit log')}
            {nav('members', 'Members')}
          </nav>
          <div className="account">
            {session.memberships.length > 1 ? (
              <label className="org-switcher">
                <span className="visually-hidden">Organization</span>
                <select value={membership?.org_id ?? ''} onChange={(event) => selectOrg(event.target.value)} aria-label="Organization">
                  {session.memberships.map((m) => (
                    <option key={m.org_id} value={m.org_id}>
                      {m.org_name}
                    </option>
                  ))}
                </select>
              </label>
            ) : (
              membership && <span className="org-name">{membership.org_name}</span>
            )}
            <span className="user" title={membership ? `${membership.role}${membership.can_manage_credentials ? ', can manage credentials' : ''}` : undefined}>
              {session.user.email}
              {membership && <span className="role-badge">{membership.role}</span>}
            </span>
            <button type="button" className="button secondary small" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </header>
        <main className="content" id="main">
          {!membership ? (
            <Notice kind="info">You are not a member of any organization yet. Ask an administrator to add you.</Notice>
          ) : shown === 'api' ? (
            <ApiPage key={membership.org_id} membership={membership} abilities={abilities} />
          ) : shown === 'usage' ? (
            <UsagePage key={membership.org_id} orgId={membership.org_id} abilities={abilities} credential={route.credential} />
          ) : shown === 'audit' ? (
            <AuditPage key={membership.org_id} orgId={membership.org_id} />
          ) : (
            <MembersPage key={membership.org_id} orgId={membership.org_id} currentUserId={session.user.id} onMembershipChanged={loadSession} />
          )}
        </main>
      </div>
    </NavigateContext.Provider>
  );
}
