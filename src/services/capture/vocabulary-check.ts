/** Capture's extension-namespace check (core/epcis/vocabulary-namespaces.ts): one coded rejection per event. */
import type { JsonObject } from '../../core/capture/envelope.js';
import { PROVENANT_NAMESPACE, unregisteredVocabulary } from '../../core/epcis/vocabulary-namespaces.js';
import type { CaptureEventResult } from '../../core/capture/errors.js';

/** Rejects, with VOCABULARY_NOT_REGISTERED, each event not yet decided whose CBV fields leave the registry. */
export function refuseUnregisteredVocabulary(events: readonly JsonObject[], eventIds: readonly string[], decided: (CaptureEventResult | undefined)[], namespaces: readonly string[]): void {
  events.forEach((event, i) => {
    if (decided[i]) return;
    const issues = unregisteredVocabulary(event, namespaces);
    if (issues.length === 0) return;
    decided[i] = {
      index: i,
      eventId: eventIds[i]!,
      status: 'rejected',
      error: {
        code: 'VOCABULARY_NOT_REGISTERED',
        message: issues.map((x) => `${x.field} ${JSON.stringify(x.value)}: ${x.message}`).join('; '),
        details: { fields: issues.map((x) => ({ field: x.field, value: x.value })), namespaces: [PROVENANT_NAMESPACE, ...namespaces] },
      },
    };
  });
}
