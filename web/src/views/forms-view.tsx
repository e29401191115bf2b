/**
 * Posting forms (preview): the field checks run as the user types (ear tag, CPH, GTIN and SSCC
 * check digits) and a complete form shows the EPCIS event it builds. Posting it, signed by the
 * organisation's node, comes with token-authenticated capture.
 */
import { useState } from 'preact/hooks';
import { buildFormEvent, checkField, FORMS, type FormKind, type FormResult } from '../../../src/core/epcis/forms.js';

export function FormsView() {
  const [kind, setKind] = useState<FormKind>('birth');
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<FormResult | null>(null);
  const form = FORMS[kind];
  return (
    <section aria-labelledby="forms-h">
      <h1 id="forms-h">Posting forms</h1>
      <p class="muted">Preview: build an EPCIS event and check identifiers as you type. Posting from this page comes with token-authenticated capture.</p>
      <label for="form-kind">Form</label>
      <select id="form-kind" value={kind} onChange={(e) => { setKind(e.currentTarget.value as FormKind); setResult(null); }}>
        {(Object.keys(FORMS) as FormKind[]).map((k) => <option key={k} value={k}>{FORMS[k].title}</option>)}
      </select>
      <form class="card form" onSubmit={(e) => { e.preventDefault(); setResult(buildFormEvent(kind, values)); }}>
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
        </section>
      )}
    </section>
  );
}
