/**
 * A capture's schema and rules validation, done only once the signatures are known good: a forged
 * request costs one hash and one signature check per event and never reaches the validator. Large
 * documents are validated in the capture worker pool, under a deadline (docs/limits.md).
 */
import { CaptureError } from '../../core/capture/errors.js';
import type { JsonObject } from '../../core/capture/envelope.js';
import type { ValidationIssue } from '../../core/epcis/validation-result.js';
import { captureValidateTask } from '../../platform/workers/pool-tasks.js';
import { WorkDeadlineError, type WorkerPool } from '../../platform/workers/worker-pool.js';

const EVENT_PATH = /^epcisBody\.eventList\[(\d+)\]/;

export interface ValidationPlan {
  document: JsonObject;
  /** The events to validate, by index in the document's eventList (those whose signature verified). */
  eventIndexes: number[];
  eventCount: number;
  atomic: boolean;
  xsdChecked: boolean;
  deadlineMs: number;
}

/** The document with only the chosen events (all of them: the document itself). */
function documentWith(document: JsonObject, eventIndexes: number[], eventCount: number): JsonObject {
  const body = document['epcisBody'] as JsonObject;
  if (eventIndexes.length === eventCount || !Array.isArray(body['eventList'])) return document;
  const list = body['eventList'] as JsonObject[];
  return { ...document, epcisBody: { ...body, eventList: eventIndexes.map((i) => list[i]!) } };
}

/** An issue's path with the event's index in the validated list put back to its index in the document. */
function issueInDocument(issue: ValidationIssue, eventIndexes: number[]): { issue: ValidationIssue; event?: number } {
  const m = EVENT_PATH.exec(issue.path);
  if (!m) return { issue };
  const event = eventIndexes[Number(m[1])]!;
  return { issue: { ...issue, path: `epcisBody.eventList[${event}]${issue.path.slice(m[0].length)}` }, event };
}

/**
 * Schema and rules: issues under eventList[i] belong to event i; others (or any, in atomic mode)
 * refuse the document with INVALID_EPCIS. VALIDATION_TOO_COSTLY when it outruns the deadline.
 */
export async function invalidEvents(pool: WorkerPool, plan: ValidationPlan): Promise<Map<number, ValidationIssue[]>> {
  const byEvent = new Map<number, ValidationIssue[]>();
  if (plan.eventIndexes.length === 0) return byEvent;
  const document = documentWith(plan.document, plan.eventIndexes, plan.eventCount);
  let validation;
  try {
    validation = await pool.runBounded(captureValidateTask, { document, xsdChecked: plan.xsdChecked }, plan.deadlineMs);
  } catch (err) {
    if (!(err instanceof WorkDeadlineError)) throw err;
    throw new CaptureError('VALIDATION_TOO_COSTLY', `validating the document took more than ${plan.deadlineMs} ms; send it in smaller documents`, { deadlineMs: plan.deadlineMs });
  }
  if (validation.ok) return byEvent;
  const issues = validation.errors.map((i) => issueInDocument(i, plan.eventIndexes));
  for (const { issue, event } of issues) if (event !== undefined) byEvent.set(event, [...(byEvent.get(event) ?? []), issue]);
  if (plan.atomic || issues.some((i) => i.event === undefined)) {
    const all = issues.map((i) => i.issue);
    throw new CaptureError('INVALID_EPCIS', `document is not valid EPCIS 2.0: ${all.slice(0, 3).map((i) => `${i.path} ${i.message}`).join('; ')}`, { issues: all });
  }
  return byEvent;
}
