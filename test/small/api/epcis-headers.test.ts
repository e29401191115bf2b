import { describe, expect, it } from 'vitest';
import { acceptedFormat, requestBodyFormat } from '../../../src/transport/http/epcis-headers.js';
import { epcisException, problemOf, problemOfCoded, ApiError } from '../../../src/transport/http/errors.js';
import { CaptureError } from '../../../src/core/capture/errors.js';

describe('EPCIS 2.0 binding: content negotiation and problem types', () => {
  it('request bodies: JSON and JSON-LD, XML; anything else is unsupported', () => {
    expect(requestBodyFormat('application/json; charset=utf-8')).toBe('json');
    expect(requestBodyFormat('application/ld+json')).toBe('json');
    expect(requestBodyFormat('application/xml')).toBe('xml');
    expect(requestBodyFormat('text/xml;charset=UTF-8')).toBe('xml');
    expect(requestBodyFormat('text/csv')).toBeNull();
    expect(requestBodyFormat(undefined)).toBeNull();
  });

  it('answers: JSON by default and on ties, XML when preferred, none for types it cannot give', () => {
    expect(acceptedFormat(undefined)).toBe('json');
    expect(acceptedFormat('*/*')).toBe('json');
    expect(acceptedFormat('application/xml')).toBe('xml');
    expect(acceptedFormat('application/json;q=0.5, application/xml')).toBe('xml');
    expect(acceptedFormat('application/problem+json')).toBe('json');
    expect(acceptedFormat('text/csv')).toBeNull();
    expect(acceptedFormat('application/xml', ['json'])).toBeNull();
    expect(acceptedFormat('application/json;q=0')).toBeNull();
  });

  it('problem types are the binding exceptions of the status', () => {
    expect(epcisException(415).type).toBe('epcisException:UnsupportedMediaTypeException');
    expect(epcisException(418).type).toBe('epcisException:ValidationException');
    expect(epcisException(503).type).toBe('epcisException:ImplementationException');
    expect(problemOfCoded({ code: 'TOO_MANY_EVENTS', message: 'too many' })).toMatchObject({ status: 413, type: 'epcisException:CaptureLimitExceededException', detail: 'too many', code: 'TOO_MANY_EVENTS' });
    expect(problemOf(new CaptureError('NOT_CUSTODIAN', 'not yours', { identifier: 'x' }))).toMatchObject({ status: 403, type: 'epcisException:SecurityException', details: { identifier: 'x' } });
    expect(problemOf(new ApiError(406, 'NOT_ACCEPTABLE', 'no'))).toMatchObject({ status: 406, type: 'epcisException:NotAcceptableException' });
    const masked = problemOf(new Error('secret internals'));
    expect(masked).toMatchObject({ status: 500, type: 'epcisException:ImplementationException', code: 'INTERNAL' });
    expect(JSON.stringify(masked)).not.toContain('secret');
  });
});
