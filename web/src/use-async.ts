/** Loads data for a view and re-loads when its inputs change; stale answers are dropped. */
import { useEffect, useState } from 'preact/hooks';

export type Async<T> = { state: 'idle' } | { state: 'loading' } | { state: 'done'; value: T } | { state: 'error'; message: string; code?: string };

export function useAsync<T>(load: (() => Promise<T>) | null, deps: unknown[]): Async<T> {
  const [result, setResult] = useState<Async<T>>({ state: 'idle' });
  useEffect(() => {
    if (!load) {
      setResult({ state: 'idle' });
      return;
    }
    let live = true;
    setResult({ state: 'loading' });
    load().then(
      (value) => live && setResult({ state: 'done', value }),
      (err: unknown) => live && setResult({ state: 'error', message: (err as Error).message, code: (err as { code?: string }).code }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return result;
}
