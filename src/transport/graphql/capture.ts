/**
 * Capture domain: the EPCIS capture as a mutation. Like POST /epcis/capture, the
 * envelope's signature authenticates the submitter (no API token needed), and the same
 * CaptureService does the work, so both bindings give the same per-event results.
 */
import { CaptureError, CaptureRejectedError, type CaptureEventResult } from '../../core/capture/errors.js';
import { DEFAULT_CAPTURE_LIMITS, parseCaptureEnvelope } from '../../core/capture/envelope.js';
import { isTypedError, statusForCode } from '../http/errors.js';
import { errorInterfaceOf, type Builder } from './builder.js';
import { ExpectedError, ForbiddenError, NotFoundError, UnauthenticatedError } from './errors.js';

/** The REST binding's body limit (5 MB), applied to the envelope's JSON text. */
const MAX_ENVELOPE_BYTES = 5 * 1024 * 1024;

/** The capture was refused (nothing stored in atomic mode); `results` says what happened to each event. */
export class CaptureRejected extends ExpectedError {
  readonly results: CaptureEventResult[];
  /** From the capture layer's error (a CaptureRejectedError carries the per-event results). */
  constructor(cause: { code: string; message: string; details?: Record<string, unknown>; results?: CaptureEventResult[] }) {
    super(cause.code, cause.message, cause.details ?? {});
    this.results = cause.results ?? [];
  }
}

/** Capture errors as the union members a client can branch on, by the HTTP status REST would use. */
function asExpected(err: unknown): unknown {
  // An atomic refusal keeps every event's result, whatever the first reason was.
  if (err instanceof CaptureRejectedError) return new CaptureRejected(err);
  if (!isTypedError(err)) return err;
  const details = err.details ?? {};
  switch (statusForCode(err.code)) {
    case 401:
      return new UnauthenticatedError(`${err.code}: ${err.message}`, details);
    case 403:
      return new ForbiddenError(`${err.code}: ${err.message}`, details);
    case 404:
      return new NotFoundError(err.message, details);
    case 500:
      return err;
    default:
      return new CaptureRejected(err);
  }
}

export function registerCapture(builder: Builder): void {
  const Status = builder.enumType('CaptureStatus', { values: ['ACCEPTED', 'DUPLICATE', 'REJECTED'] as const });
  const Mode = builder.enumType('CaptureMode', {
    description: 'ATOMIC: every event is stored or none (default). PARTIAL: each event stands alone.',
    values: ['ATOMIC', 'PARTIAL'] as const,
  });

  const EventError = builder.objectRef<NonNullable<CaptureEventResult['error']>>('CaptureEventError').implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      details: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.details ?? null }),
    }),
  });
  const SealedIn = builder.objectRef<{ height: number; hash: string }>('CaptureBlock').implement({
    fields: (t) => ({ height: t.exposeInt('height'), hash: t.exposeString('hash') }),
  });
  const EventResult = builder.objectRef<CaptureEventResult>('CaptureEventResult').implement({
    description: 'What happened to one event of the document, by its position.',
    fields: (t) => ({
      index: t.exposeInt('index'),
      eventId: t.exposeString('eventId', { description: 'CBV 2.0 event hash ID.' }),
      status: t.field({ type: Status, resolve: (r) => (r.status === 'accepted' ? 'ACCEPTED' : r.status === 'duplicate' ? 'DUPLICATE' : 'REJECTED') }),
      recordHash: t.string({ nullable: true, resolve: (r) => r.recordHash ?? null }),
      correctionOf: t.string({ nullable: true, description: 'Accepted as an error declaration about the event whose record has this hash.', resolve: (r) => r.correctionOf ?? null }),
      block: t.field({ type: SealedIn, nullable: true, description: 'Set once sealed (with wait: true).', resolve: (r) => r.block ?? null }),
      error: t.field({ type: EventError, nullable: true, resolve: (r) => r.error ?? null }),
    }),
  });
  const Captured = builder.objectRef<{ results: CaptureEventResult[] }>('CaptureResult').implement({
    fields: (t) => ({ results: t.field({ type: [EventResult], resolve: (r) => r.results }) }),
  });
  builder.objectType(CaptureRejected, {
    name: 'CaptureRejected',
    interfaces: [errorInterfaceOf(builder)],
    isTypeOf: (value) => value instanceof CaptureRejected,
    fields: (t) => ({ results: t.field({ type: [EventResult], resolve: (e) => e.results }) }),
  });

  builder.mutationFields((t) => ({
    capture: t.field({
      type: Captured,
      description:
        'Captures a signed EPCIS 2.0 document: the same envelope as POST /epcis/capture ({consortium, signer, signedAt, signatures, document}); see `provenant sign`.',
      args: {
        envelope: t.arg({ type: 'JSON', required: true }),
        mode: t.arg({ type: Mode, defaultValue: 'ATOMIC' }),
        wait: t.arg.boolean({ defaultValue: false, description: 'Answer only once the events are sealed into a block.' }),
      },
      errors: { types: [CaptureRejected, NotFoundError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const service = ctx.app.capture;
        if (!service) throw new Error('capture is not mounted on this server');
        try {
          if (JSON.stringify(args.envelope ?? null).length > MAX_ENVELOPE_BYTES) {
            throw new CaptureError('PAYLOAD_TOO_LARGE', `envelope is larger than ${MAX_ENVELOPE_BYTES} bytes`, { limit: MAX_ENVELOPE_BYTES });
          }
          const envelope = parseCaptureEnvelope(args.envelope, {}, DEFAULT_CAPTURE_LIMITS);
          return await service.capture(envelope, { mode: args.mode === 'PARTIAL' ? 'partial' : 'atomic', wait: args.wait ? 'seal' : 'none' });
        } catch (err) {
          throw asExpected(err);
        }
      },
    }),
  }));
}
