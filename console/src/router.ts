// Four screens under /console; the server answers index.html for each of them.
import { useEffect, useState } from 'react';

export type Screen = 'api' | 'audit' | 'members' | 'docs';
const BASE = '/console';

export function screenOf(pathname: string): Screen {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length).replace(/^\/+|\/+$/g, '') : '';
  return rest === 'audit' || rest === 'members' || rest === 'docs' ? rest : 'api';
}

export const hrefOf = (screen: Screen) => (screen === 'api' ? `${BASE}/` : `${BASE}/${screen}`);

export function useScreen(): [Screen, (screen: Screen) => void] {
  const [screen, setScreen] = useState(() => screenOf(window.location.pathname));
  useEffect(() => {
    const onPop = () => setScreen(screenOf(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const go = (next: Screen) => {
    if (next !== screen) window.history.pushState(null, '', hrefOf(next));
    setScreen(next);
  };
  return [screen, go];
}
