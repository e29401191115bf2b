/**
 * What the EPCIS 2.0 REST binding says about headers (EPCIS 2.0 section 12, GS1 openapi.json):
 * the version headers a server sends and checks, content negotiation by Accept and Content-Type,
 * and the discovery headers OPTIONS answers with.
 */
import type { NextFunction, Request, Response } from 'express';
import { ApiError, useProblemDetails } from './errors.js';

export const EPCIS_VERSION = '2.0.0';
export const CBV_VERSION = '2.0.0';
const VENDOR_VERSION = 'provenant-0.1.0';

export type BodyFormat = 'json' | 'xml';

const JSON_TYPES = new Set(['application/json', 'application/ld+json', 'application/problem+json']);
const XML_TYPES = new Set(['application/xml', 'text/xml', 'application/problem+xml']);

function mediaType(value: string): string {
  return value.split(';')[0]!.trim().toLowerCase();
}

/** The format of a request body by its Content-Type; null for any other type (415). */
export function requestBodyFormat(contentType: string | undefined): BodyFormat | null {
  if (!contentType) return null;
  const type = mediaType(contentType);
  if (JSON_TYPES.has(type) || (type.startsWith('application/') && type.endsWith('+json'))) return 'json';
  if (XML_TYPES.has(type) || (type.startsWith('application/') && type.endsWith('+xml'))) return 'xml';
  return null;
}

/** The answer's format the Accept header prefers (JSON on a tie or without the header); null when it takes neither (406). */
export function acceptedFormat(accept: string | undefined, offers: readonly BodyFormat[] = ['json', 'xml']): BodyFormat | null {
  if (!accept || accept.trim() === '') return offers[0] ?? null;
  const q: Record<BodyFormat, number> = { json: 0, xml: 0 };
  for (const part of accept.split(',')) {
    const [typeText, ...params] = part.split(';');
    const type = (typeText ?? '').trim().toLowerCase();
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(weight)) continue;
    const json = type === '*/*' || type === 'application/*' || JSON_TYPES.has(type) || (type.startsWith('application/') && type.endsWith('+json'));
    const xml = type === '*/*' || type === 'application/*' || type === 'text/*' || XML_TYPES.has(type) || (type.startsWith('application/') && type.endsWith('+xml'));
    if (json) q.json = Math.max(q.json, weight);
    if (xml) q.xml = Math.max(q.xml, weight);
  }
  const ranked = offers.filter((f) => q[f] > 0).sort((a, b) => q[b] - q[a]);
  return ranked[0] ?? null;
}

function versionParts(text: string): number[] | null {
  return /^\d+(\.\d+)*$/.test(text.trim()) ? text.trim().split('.').map(Number) : null;
}

/** a < b: -1, equal (missing parts are 0): 0, a > b: 1. */
function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** A version header names this release line when its major and minor match (2.0, 2.0.0). */
function sameLine(asked: number[], supported: string): boolean {
  const s = versionParts(supported)!;
  return asked[0] === s[0] && (asked[1] ?? 0) === s[1];
}

/**
 * The client's version headers against the versions served: GS1-EPCIS-Version and GS1-CBV-Version
 * must name 2.0 when sent; GS1-EPCIS-Min/-Max and GS1-CBV-Min/-Max must admit it (406 otherwise).
 */
export function checkVersionHeaders(req: Request): void {
  const checks: [string, string, 'exact' | 'min' | 'max'][] = [
    ['gs1-epcis-version', EPCIS_VERSION, 'exact'],
    ['gs1-cbv-version', CBV_VERSION, 'exact'],
    ['gs1-epcis-min', EPCIS_VERSION, 'min'],
    ['gs1-epcis-max', EPCIS_VERSION, 'max'],
    ['gs1-cbv-min', CBV_VERSION, 'min'],
    ['gs1-cbv-max', CBV_VERSION, 'max'],
  ];
  for (const [name, supported, kind] of checks) {
    const value = req.header(name);
    if (value === undefined) continue;
    const asked = versionParts(value);
    if (!asked) throw new ApiError(400, 'BAD_VERSION_HEADER', `${name} must be a version such as ${supported}`, { header: name, actual: value });
    const served = versionParts(supported)!;
    const ok = kind === 'exact' ? sameLine(asked, supported) : kind === 'min' ? compareVersions(asked, served) <= 0 || sameLine(asked, supported) : compareVersions(asked, served.slice(0, 2)) >= 0;
    if (!ok) {
      throw new ApiError(406, 'UNSUPPORTED_VERSION', `this server speaks EPCIS ${EPCIS_VERSION} and CBV ${CBV_VERSION}; ${name}: ${value} rules that out`, {
        header: name,
        actual: value,
        supported,
      });
    }
  }
}

/** The version headers every answer of the binding carries. */
export function setVersionHeaders(res: Response): void {
  res.setHeader('GS1-EPCIS-Version', EPCIS_VERSION);
  res.setHeader('GS1-CBV-Version', CBV_VERSION);
}

/** OPTIONS: what the resource allows and which versions (and, for capture, which limits) apply. */
export function setDiscoveryHeaders(res: Response, allow: string): void {
  setVersionHeaders(res);
  res.setHeader('Allow', allow);
  res.setHeader('GS1-EPCIS-Min', EPCIS_VERSION);
  res.setHeader('GS1-EPCIS-Max', EPCIS_VERSION);
  res.setHeader('GS1-CBV-Min', CBV_VERSION);
  res.setHeader('GS1-CBV-Max', CBV_VERSION);
  res.setHeader('GS1-EPC-Format', 'Never_Translates');
  res.setHeader('GS1-CBV-XML-Format', 'Never_Translates');
  res.setHeader('GS1-Vendor-Version', VENDOR_VERSION);
}

/** The capture limits (GS1-EPCIS-Capture-Limit in events, GS1-EPCIS-Capture-File-Size-Limit in octets). */
export function setCaptureLimitHeaders(res: Response, maxEvents: number, maxBytes: number): void {
  res.setHeader('GS1-EPCIS-Capture-Limit', String(maxEvents));
  res.setHeader('GS1-EPCIS-Capture-File-Size-Limit', String(maxBytes));
}

/** Every binding route: version headers sent and checked, the answer's format negotiated, errors as problem details in it. */
export function bindingRoute(offers: readonly BodyFormat[], jsonMediaType: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    setVersionHeaders(res);
    const format = acceptedFormat(req.header('accept'), offers);
    useProblemDetails(res, format ?? 'json');
    if (!format) return next(new ApiError(406, 'NOT_ACCEPTABLE', `this resource answers in ${offers.map((f) => (f === 'json' ? jsonMediaType : 'application/xml')).join(' or ')}`, { accept: req.header('accept') }));
    res.locals['format'] = format;
    try {
      checkVersionHeaders(req);
    } catch (err) {
      return next(err);
    }
    next();
  };
}
