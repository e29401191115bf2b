/**
 * Member CLI commands: `event-hash`, `sign`, `submit` (docs/design/capture-submission.md). Each
 * takes an EPCIS 2.0 document in JSON(-LD) or XML (XML is checked against GS1's XSDs and read into
 * the same model, so the event hash IDs are the same). Each command is also an exported function
 * returning an exit code, so tests and scripts can call it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readKeyFile } from '../../services/node/keystore.js';
import {
  CaptureClientError,
  captureUrl,
  eventIdsOf,
  isCaptureEnvelope,
  signCaptureDocument,
  signedEventCount,
  submitCapture,
  type CaptureEnvelope,
  type CaptureEventResult,
} from '../../client/capture-client.js';
import { describeError } from './errors.js';
import { CodedError } from '../../core/coded-error.js';
import { EpcisXmlError, readEpcisXml } from '../../core/epcis/xml/index.js';
import { loadEpcisXsdValidator } from '../../platform/epcis-xsd.js';
import { postCapture, waitForCaptureJob } from '../../client/binding-client.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const consoleOutput: Output = { out: (line) => console.log(line), err: (line) => console.error(line) };

export class MemberCliError extends CodedError {
  override readonly name = 'MemberCliError';
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new MemberCliError('UNREADABLE_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
}

/** XML when the first thing in the file (after a byte order mark and white space) is markup. */
function isXmlText(text: string): boolean {
  return /^\uFEFF?\s*</.test(text);
}

/** A document file, JSON or XML; XML is checked against the EPCIS 2.0 XSDs and read into the JSON-LD model. */
export async function readDocumentFile(file: string): Promise<{ document: Record<string, unknown>; xml?: string }> {
  const text = readText(file);
  if (!isXmlText(text)) return { document: readJsonFile(file, text) };
  try {
    return { document: readEpcisXml(text, { validate: await loadEpcisXsdValidator() }), xml: text };
  } catch (err) {
    if (!(err instanceof EpcisXmlError)) throw err;
    throw new MemberCliError('INVALID_XML', `${file} is not a valid EPCIS 2.0 XML document: ${err.message}`, { file, ...err.details });
  }
}

/** Reads and parses a JSON file, with one clear error for each way it can fail. */
export function readJsonFile(file: string, text: string = readText(file)): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MemberCliError('INVALID_JSON', `${file} is not valid JSON: ${(err as Error).message}`, { file });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MemberCliError('INVALID_JSON', `${file} must hold a JSON object`, { file });
  return value as Record<string, unknown>;
}

/** A file, key or option the user must fix is a usage error (exit 2); anything else failed a check (exit 1). */
function fail(io: Output, err: unknown): number {
  io.err(`error: ${describeError(err)}`);
  return err instanceof MemberCliError ? 2 : 1;
}

/** Prints the CBV 2.0 hash ID of each event, one per line, in document order. */
export async function runEventHash(file: string, io: Output = consoleOutput): Promise<number> {
  try {
    const { document } = await readDocumentFile(file);
    for (const id of eventIdsOf(isCaptureEnvelope(document) ? document.document : document)) io.out(id);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}

export interface SigningOptions {
  key?: string;
  consortium?: string;
  signedAt?: string;
  /** One batch signature over every event (docs/batch-signatures.md) instead of one per event. */
  batch?: boolean;
}

/**
 * A plain EPCISDocument is signed (payload format 2: its @context and epcisHeader are signed with
 * each event); an already signed envelope is taken as it is.
 */
export async function envelopeFromFile(file: string, options: SigningOptions): Promise<CaptureEnvelope> {
  const { document: value } = await readDocumentFile(file);
  if (isCaptureEnvelope(value)) return value;
  if (!options.key) throw new MemberCliError('KEY_REQUIRED', 'signing needs --key KEYFILE (a key file from `provenant keygen`)');
  if (!options.consortium) throw new MemberCliError('CONSORTIUM_REQUIRED', 'signing needs --consortium ID');
  let key;
  try {
    key = readKeyFile(options.key).keyPair;
  } catch (err) {
    throw new MemberCliError('UNREADABLE_KEY', `cannot load key file ${options.key}: ${describeError(err)}`, { file: options.key });
  }
  return signCaptureDocument(value, { consortium: options.consortium, key, signedAt: options.signedAt, payloadFormat: 2, batch: options.batch === true });
}

export async function runSign(file: string, options: SigningOptions & { out?: string }, io: Output = consoleOutput): Promise<number> {
  try {
    const envelope = await envelopeFromFile(file, options);
    const text = JSON.stringify(envelope, null, 2);
    if (options.out) {
      writeFileSync(options.out, `${text}\n`);
      io.err(`signed ${signedEventCount(envelope)} event(s) as ${envelope.signer.slice(0, 16)}…; wrote ${options.out}`);
    } else {
      io.out(text);
    }
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}

export function formatResultLine(r: CaptureEventResult): string {
  const tail = r.status === 'rejected' || r.error ? `${r.error?.code ?? 'REJECTED'}: ${r.error?.message ?? ''}`.trim() : (r.recordHash ?? '');
  const block = r.block ? ` block ${r.block.height}` : '';
  return `${r.index}\t${r.status}\t${r.eventId}\t${tail}${block}`;
}

export interface SubmitCliOptions extends SigningOptions {
  url?: string;
  partial?: boolean;
  wait?: boolean;
  token?: string;
}

/**
 * Without a key, with an API token: the document goes as it is (JSON or XML) to the EPCIS 2.0
 * binding (POST /capture), the node signs with the organisation's key it hosts, and the capture
 * job's results are printed once it ends.
 */
async function submitWithToken(file: string, options: SubmitCliOptions, token: string, io: Output): Promise<number> {
  const url = options.url ?? 'http://127.0.0.1:4000';
  try {
    const { document, xml } = await readDocumentFile(file);
    const { location } = await postCapture(url, xml ?? document, { token, behaviour: options.partial ? 'proceed' : 'rollback' });
    const job = await waitForCaptureJob(url, location, { token });
    for (const r of job['provenant:results'] ?? []) io.out(formatResultLine(r));
    for (const e of job.errors.filter((x) => x.index === undefined)) io.err(`error: ${e.code ?? e.type}: ${e.detail ?? e.title}`);
    return job.success ? 0 : 1;
  } catch (err) {
    if (err instanceof CaptureClientError) {
      io.err(`error: POST ${url}/capture: HTTP ${err.status || '-'} ${err.code}: ${err.message}${err.code === 'NETWORK_ERROR' ? ' (check --url)' : ''}`);
      return err.code === 'NETWORK_ERROR' ? 2 : 1;
    }
    return fail(io, err);
  }
}

/** Exit 0 only when every event was accepted or a duplicate. */
export async function runSubmit(file: string, options: SubmitCliOptions, io: Output = consoleOutput): Promise<number> {
  const token = options.token ?? process.env.PROVENANT_TOKEN;
  let envelope: CaptureEnvelope;
  try {
    if (!options.key && token) {
      const { document } = await readDocumentFile(file);
      if (!isCaptureEnvelope(document)) return await submitWithToken(file, options, token, io);
    }
    envelope = await envelopeFromFile(file, options);
  } catch (err) {
    return fail(io, err);
  }
  const url = options.url ?? 'http://127.0.0.1:4000';
  try {
    const result = await submitCapture(url, envelope, {
      mode: options.partial ? 'partial' : 'atomic',
      wait: !!options.wait,
      token,
    });
    for (const r of result.results) io.out(formatResultLine(r));
    return result.results.every((r) => r.status === 'accepted' || r.status === 'duplicate') ? 0 : 1;
  } catch (err) {
    if (err instanceof CaptureClientError) {
      const body = err.body as { results?: CaptureEventResult[] } | undefined;
      if (Array.isArray(body?.results)) for (const r of body.results) io.out(formatResultLine(r));
      const target = captureUrl(url, { mode: options.partial ? 'partial' : 'atomic', wait: !!options.wait });
      if (err.code === 'NETWORK_ERROR') {
        io.err(`error: ${err.message} (check --url)`);
        return 2;
      }
      io.err(`error: POST ${target}: HTTP ${err.status || '-'} ${err.code}: ${err.message}`);
      return 1;
    }
    return fail(io, err);
  }
}

function setExit(code: number): void {
  if (code !== 0) process.exitCode = code;
}

export function registerMemberCommands(program: Command, io: Output = consoleOutput): void {
  program
    .command('event-hash')
    .description('print the CBV 2.0 event hash ID of each event in an EPCIS document, in document order')
    .argument('<file>', 'EPCIS 2.0 JSON(-LD) or XML document')
    .action(async (file: string) => setExit(await runEventHash(file, io)));

  program
    .command('sign')
    .description('sign each event of an EPCIS document with an organisation key; writes the capture envelope')
    .argument('<file>', 'EPCIS 2.0 JSON(-LD) or XML document')
    .option('--key <file>', 'organisation private key file (from keygen)')
    .option('--consortium <id>', 'consortium id')
    .option('--out <file>', 'where to write the envelope (default: stdout)')
    .option('--batch', 'sign the document once: one batch signature over its events (docs/batch-signatures.md)')
    .action(async (file: string, opts: { key?: string; consortium?: string; out?: string; batch?: boolean }) => setExit(await runSign(file, opts, io)));

  program
    .command('submit')
    .description('sign (unless already signed) and post an EPCIS document to a node; one line per event. With --token and no --key, your organisation\'s node signs (POST /capture)')
    .argument('<file>', 'EPCIS document (JSON or XML), or an envelope written by `provenant sign`')
    .option('--key <file>', 'organisation private key file (from keygen)')
    .option('--consortium <id>', 'consortium id')
    .option('--url <url>', 'node base URL', 'http://127.0.0.1:4000')
    .option('--token <token>', 'API token (default: $PROVENANT_TOKEN)')
    .option('--partial', 'store the valid events even if some are rejected (default: all or none)')
    .option('--wait', 'answer only once the events are sealed into a block')
    .option('--batch', 'sign the document once: one batch signature over its events')
    .action(async (file: string, opts: SubmitCliOptions) => setExit(await runSubmit(file, opts, io)));
}
