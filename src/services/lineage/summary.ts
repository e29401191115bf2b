/** Event summaries and the small helpers the lineage queries share. */
import { eventType } from '../../core/epcis/epcis-model.js';
import type { EventSummary } from '../../core/lineage/answers.js';
import type { EventRow } from '../../core/lineage/graph.js';
import { normaliseAuthBizStep } from '../../core/rules/authorisation.js';

export const step = (row: EventRow) => normaliseAuthBizStep(row.event);
export const byTime = (a: EventRow, b: EventRow) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0);

export function locationOf(r: EventRow, k: string): string | null {
  const v = r.event[k];
  return v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;
}

export function summary(r: EventRow): EventSummary {
  return { eventId: r.eventId, time: r.eventTime, orgId: r.signerOrg, bizStep: step(r) ?? null, eventType: eventType(r.event), readPoint: locationOf(r, 'readPoint'), bizLocation: locationOf(r, 'bizLocation') };
}

