/** The WithheldField type (docs/redaction.md): one salted commitment, opened for viewers who see the event in full. */
import type { WithheldView } from '../../services/withheld-reads.js';
import type { Builder } from './builder.js';

function register(builder: Builder) {
  const Verdict = builder.enumType('WithheldVerdict', {
    description: 'VERIFIED: value and salt open the commitment. FAILED: they do not (the stored opening was altered). WITHHELD: not yours to open. ERASED: the opening is gone; the record stays valid.',
    values: ['VERIFIED', 'FAILED', 'WITHHELD', 'ERASED'] as const,
  });
  return builder.objectRef<WithheldView>('WithheldField').implement({
    description: 'An event field the signed record holds only as a salted commitment: taggedHash("provenant/v1/withheld-field", salt || JCS(value)).',
    fields: (t) => ({
      path: t.exposeString('path', { description: 'The event member withheld (e.g. disposition, provenant:postMortem).' }),
      commitment: t.exposeString('commitment', { description: 'Hex commitment, as signed in the event under provenant:withheld.' }),
      value: t.field({ type: 'JSON', nullable: true, description: 'The value; only for viewers who see the event in full.', resolve: (w) => w.value }),
      salt: t.string({ nullable: true, description: 'Hex 32-byte salt; only with the value.', resolve: (w) => w.salt }),
      verdict: t.field({ type: Verdict, resolve: (w) => w.verdict }),
    }),
  });
}

const refs = new WeakMap<Builder, ReturnType<typeof register>>();

/** The one WithheldField type of this builder. */
export function withheldFieldType(builder: Builder): ReturnType<typeof register> {
  let ref = refs.get(builder);
  if (!ref) refs.set(builder, (ref = register(builder)));
  return ref;
}
