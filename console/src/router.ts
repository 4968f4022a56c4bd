// The console's screens under /console; the server answers index.html for each of them. A
// credential's usage has its own address, /console/usage/clients/<id> or
// /console/usage/restricted-tokens/<id>, mirroring the API's paths.
import { createContext, useEffect, useMemo, useState } from 'react';
import type { CredentialType } from './types';

export type Screen = 'api' | 'usage' | 'audit' | 'members' | 'docs';
export interface CredentialRef {
  type: CredentialType;
  id: string;
}
export interface Route {
  screen: Screen;
  /** The credential whose usage is shown (screen 'usage' only); null for the overview. */
  credential: CredentialRef | null;
}

const BASE = '/console';
const SEGMENT: Record<CredentialType, string> = { api_client: 'clients', restricted_token: 'restricted-tokens' };

export function routeOf(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length).replace(/^\/+|\/+$/g, '') : '';
  const [first, kind, id, ...more] = rest.split('/');
  if (first === 'usage') {
    const type = (Object.keys(SEGMENT) as CredentialType[]).find((candidate) => SEGMENT[candidate] === kind);
    if (type && id && more.length === 0) {
      try {
        return { screen: 'usage', credential: { type, id: decodeURIComponent(id) } };
      } catch {
        // a malformed escape: the overview
      }
    }
    return { screen: 'usage', credential: null };
  }
  const screen = rest === 'audit' || rest === 'members' || rest === 'docs' ? rest : 'api';
  return { screen, credential: null };
}

export const screenOf = (pathname: string): Screen => routeOf(pathname).screen;

export const hrefOf = (screen: Screen) => (screen === 'api' ? `${BASE}/` : `${BASE}/${screen}`);

export const usageHrefOf = (credential: CredentialRef) => `${BASE}/usage/${SEGMENT[credential.type]}/${encodeURIComponent(credential.id)}`;

/** Moves to another screen without reloading; links use it through <AppLink>. */
export const NavigateContext = createContext<(href: string) => void>((href) => window.location.assign(href));

export function useRoute(): [Route, (href: string) => void] {
  const [pathname, setPathname] = useState(() => window.location.pathname);
  useEffect(() => {
    const onPop = () => setPathname(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const route = useMemo(() => routeOf(pathname), [pathname]);
  const go = (href: string) => {
    if (href !== window.location.pathname) {
      window.history.pushState(null, '', href);
      window.scrollTo(0, 0);
    }
    setPathname(href);
  };
  return [route, go];
}
