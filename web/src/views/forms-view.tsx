/**
 * Posting forms: the field checks run as the user types (ear tag, CPH, GTIN and SSCC check digits),
 * a complete form shows the EPCIS event it builds, and posting it captures it through POST /capture
 * with the session's token: the organisation's node signs it with the organisation's key.
 */
import { useState } from 'preact/hooks';
import { buildFormEvent, checkField, epcisDocument, FORMS, type FormKind, type FormResult } from '../../../src/core/epcis/forms.js';
import { ApiFailure, captureDocument, type CaptureJob } from '../api.js';

export function FormsView() {
  const [kind, setKind] = useState<FormKind>('birth');
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<FormResult | null>(null);
  const [posted, setPosted] = useState<{ busy: boolean; job?: CaptureJob; error?: string } | null>(null);
  const form = FORMS[kind];
  const post = async (event: Record<string, unknown>) => {
    setPosted({ busy: true });
    try {
      setPosted({ busy: false, job: await captureDocument(epcisDocument([event], new Date().toISOString())) });
    } catch (err) {
      setPosted({ busy: false, error: err instanceof ApiFailure ? `${err.code}: ${err.message}` : String(err) });
    }
  };
  return (
    <section aria-labelledby="forms-h">
      <h1 id="forms-h">Posting forms</h1>
      <p class="muted">Build an EPCIS event, with identifiers checked as you type, then post it: your organisation's node signs it with your organisation's key.</p>
      <label for="form-kind">Form</label>
      <select id="form-kind" value={kind} onChange={(e) => { setKind(e.currentTarget.value as FormKind); setResult(null); setPosted(null); }}>
        {(Object.keys(FORMS) as FormKind[]).map((k) => <option key={k} value={k}>{FORMS[k].title}</option>)}
      </select>
      <form class="card form" onSubmit={(e) => { e.preventDefault(); setResult(buildFormEvent(kind, values)); setPosted(null); }}>
        {form.fields.map((f) => {
          const value = values[f.name] ?? '';
          const check = value ? checkField(f, value) : null;
          const error = result && !result.ok ? result.errors[f.name] : undefined;
          const message = error ?? (check && check.state !== 'valid' ? check.message : undefined);
          const id = `field-${f.name}`;
          const input = {
            id,
            name: f.name,
            value,
            'aria-invalid': check?.state === 'invalid' || !!error ? true : undefined,
            'aria-describedby': `${id}-msg`,
            onInput: (e: Event) => setValues({ ...values, [f.name]: (e.currentTarget as HTMLInputElement).value }),
          };
          return (
            <div key={f.name} class={`field ${check?.state ?? ''}`}>
              <label for={id}>{f.label}{f.required ? '' : ' (optional)'}</label>
              {f.type === 'choice' ? (
                <select {...input}><option value="">—</option>{f.choices!.map((c) => <option key={c}>{c}</option>)}</select>
              ) : f.many ? (
                <textarea rows={3} {...input} />
              ) : (
                <input type={f.type === 'datetime' ? 'datetime-local' : 'text'} autoComplete="off" {...input} />
              )}
              <p id={`${id}-msg`} class={error || check?.state === 'invalid' ? 'error' : 'muted'} aria-live="polite">
                {message ?? (check?.state === 'valid' ? '✓ valid' : (f.hint ?? ''))}
              </p>
            </div>
          );
        })}
        <button type="submit">Build event</button>
      </form>
      {result?.ok && (
        <section class="card" aria-labelledby="built-h">
          <h2 id="built-h">EPCIS event</h2>
          <pre>{JSON.stringify(result.event, null, 2)}</pre>
          <button type="button" disabled={posted?.busy} onClick={() => void post(result.event)}>{posted?.busy ? 'Posting…' : 'Post event'}</button>
          <p aria-live="polite" data-testid="post-outcome" class={posted?.error || posted?.job?.success === false ? 'error' : 'muted'}>
            {posted?.error ??
              (posted?.job
                ? posted.job.success
                  ? `Captured: ${posted.job['provenant:results']?.[0]?.eventId ?? ''}`
                  : `Not captured: ${posted.job.errors.map((e) => e.detail ?? e.title).join('; ')}`
                : '')}
          </p>
        </section>
      )}
    </section>
  );
}
