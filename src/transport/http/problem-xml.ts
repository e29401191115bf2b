/**
 * The XML forms of the EPCIS 2.0 REST binding's small bodies: problem details (GS1 openapi.json
 * names them epcis:EPCISException) and capture jobs (epcis:EPCISCaptureJob, as GS1's CaptureJob
 * XML examples write them). Members are the RFC 9457 ones; extension members are left out.
 */
import { element, serialiseXml, textElement, type XmlNodeOut } from '../../core/epcis/xml/xml-writer.js';

const EPCIS_NS = 'urn:epcglobal:epcis:xsd:2';

interface ProblemLike {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
}

function problemChildren(p: ProblemLike): XmlNodeOut[] {
  return [
    textElement('type', p.type),
    textElement('title', p.title),
    textElement('status', String(p.status)),
    ...(p.detail !== undefined ? [textElement('detail', p.detail)] : []),
    ...(p.instance !== undefined ? [textElement('instance', p.instance)] : []),
  ];
}

export function problemXml(problem: ProblemLike): string {
  return serialiseXml(element('epcis:EPCISException', problemChildren(problem), [['xmlns:epcis', EPCIS_NS]]));
}

export interface CaptureJobDocument {
  captureID: string;
  running: boolean;
  success: boolean;
  captureErrorBehaviour: string;
  createdAt: string;
  finishedAt?: string;
  errors: ProblemLike[];
}

export function captureJobXml(job: CaptureJobDocument): string {
  const children: XmlNodeOut[] = [
    textElement('captureErrorBehaviour', job.captureErrorBehaviour),
    textElement('createdAt', job.createdAt),
    ...(job.finishedAt !== undefined ? [textElement('finishedAt', job.finishedAt)] : []),
    ...(job.errors.length > 0 ? [element('errors', job.errors.map((e) => element('error', problemChildren(e))))] : []),
  ];
  const attributes: [string, string][] = [
    ['xmlns:epcis', EPCIS_NS],
    ['running', String(job.running)],
    ['success', String(job.success)],
    ['captureID', job.captureID],
  ];
  return serialiseXml(element('epcis:EPCISCaptureJob', children, attributes));
}
