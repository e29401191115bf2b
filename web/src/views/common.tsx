/** Pieces every view uses: loading and error states, verdict badges, the empty-identifier prompt. */
import type { ComponentChildren } from 'preact';
import type { Async } from '../use-async.js';
import { VERDICT_TEXT, type HopVerdictName } from '../verdict.js';

export function Loading({ what }: { what: string }) {
  return <p role="status" class="muted">Loading {what}…</p>;
}

export function Problem({ message, code }: { message: string; code?: string | undefined }) {
  const hint = code === 'Forbidden' ? ' Your organisation may not see this item; ask its holder or a regulator.' : code === 'NotFound' ? ' Check the identifier.' : '';
  return (
    <p class="error" role="alert">
      {message}
      {hint}
    </p>
  );
}

export function AsyncBlock<T>({ result, what, children }: { result: Async<T>; what: string; children: (value: T) => ComponentChildren }) {
  if (result.state === 'idle') return null;
  if (result.state === 'loading') return <Loading what={what} />;
  if (result.state === 'error') return <Problem message={result.message} code={result.code} />;
  return <>{children(result.value)}</>;
}

export function Badge({ verdict }: { verdict: HopVerdictName }) {
  const t = VERDICT_TEXT[verdict];
  return (
    <span class={`badge ${verdict}`}>
      <span aria-hidden="true">{t.symbol}</span> {t.label}
    </span>
  );
}

export function NeedId({ what }: { what: string }) {
  return <p>Search for {what} with the search bar above.</p>;
}
