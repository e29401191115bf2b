/** Hash routes (#/trace?id=…), so every view has a link and the node serves one page. */
import { useEffect, useState } from 'preact/hooks';

export type RouteName = 'search' | 'trace' | 'recall' | 'customs' | 'inspector' | 'chain' | 'forms';

export interface Route {
  name: RouteName;
  params: URLSearchParams;
}

const NAMES: readonly RouteName[] = ['search', 'trace', 'recall', 'customs', 'inspector', 'chain', 'forms'];

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const name = (NAMES as readonly string[]).includes(path) ? (path as RouteName) : 'search';
  return { name, params: new URLSearchParams(query) };
}

export function href(name: RouteName, params: Record<string, string> = {}): string {
  const q = new URLSearchParams(params).toString();
  return `#/${name}${q ? `?${q}` : ''}`;
}

export function go(name: RouteName, params: Record<string, string> = {}): void {
  location.hash = href(name, params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
