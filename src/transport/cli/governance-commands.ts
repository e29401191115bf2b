/** Member and authority commands that post signed governance records to a node over HTTP. */
import type { Command } from 'commander';
import { RecordKind, signRecord, type RecordKind as Kind } from '../../core/ledger/record.js';
import { parseNodeUrl, parseOrderingIdentity } from '../../core/ledger/node-endpoint.js';
import { readCliKeyFile } from './key-file.js';
import { parseJsonOption, readJsonOption } from './json-option.js';
import type { JsonValue } from '../../core/crypto/index.js';
import { CliRefusedError, CliUsageError, describeError } from './errors.js';

async function post(url: string, consortium: string, kind: Kind, payload: JsonValue, keyFile: string, wait: boolean): Promise<void> {
  const { keyPair } = readCliKeyFile(keyFile);
  const record = signRecord({ consortium, kind, payload }, keyPair);
  const target = `${url.replace(/\/$/, '')}/consortia/${encodeURIComponent(consortium)}/records${wait ? '?wait=seal' : ''}`;
  let res: Response;
  try {
    res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [record] }) });
  } catch (err) {
    throw new CliUsageError(`could not reach ${target}: ${describeError((err as { cause?: unknown }).cause ?? err)} (check --url)`);
  }
  const text = await res.text();
  let body: { results?: { status: string; recordHash?: string; error?: { code: string; message: string } }[]; error?: { code: string; message: string } } = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as typeof body);
  } catch {
    // A non-JSON answer (a proxy's error page, say) is reported by its status below.
  }
  const result = body.results?.[0];
  if (!res.ok || !result || result.status === 'rejected') {
    const error = result?.error ?? body.error;
    throw new CliRefusedError(error?.code ?? `HTTP_${res.status}`, `POST ${target}: HTTP ${res.status}: ${error?.message ?? 'no result'}`);
  }
  console.log(`${result.status} ${kind} ${result.recordHash ?? ''}`);
}

export function registerGovernanceCommands(program: Command): void {
  const common = (cmd: Command) =>
    cmd
      .requiredOption('--consortium <id>', 'consortium id')
      .requiredOption('--key <file>', 'your private key file (from keygen)')
      .option('--url <url>', 'node URL', 'http://127.0.0.1:4000')
      .option('--wait', 'wait until sealed into a block');

  common(program.command('propose').description('propose a membership change (JSON, e.g. {"type":"role.grant","orgId":"x","role":"FARM"})'))
    .requiredOption('--change <json|@file>', 'the change, inline JSON or @file')
    .option('--reason <text>', 'why')
    .action(async (opts: { consortium: string; key: string; url: string; wait?: boolean; change: string; reason?: string }) => {
      const change = opts.change.startsWith('@') ? readJsonOption<JsonValue>('--change', opts.change.slice(1)) : parseJsonOption<JsonValue>('--change', opts.change);
      await post(opts.url, opts.consortium, RecordKind.PROPOSAL, { change, ...(opts.reason ? { reason: opts.reason } : {}) }, opts.key, !!opts.wait);
    });

  common(program.command('approve').description('approve a pending membership proposal (authorities only)'))
    .requiredOption('--proposal <hash>', 'record hash of the proposal')
    .action(async (opts: { consortium: string; key: string; url: string; wait?: boolean; proposal: string }) => {
      await post(opts.url, opts.consortium, RecordKind.APPROVAL, { proposal: opts.proposal }, opts.key, !!opts.wait);
    });

  common(program.command('register-node').description("propose your organisation's node endpoint (URL and ordering identity); authorities approve it like any membership change"))
    .requiredOption('--org <id>', 'your organisation id')
    .requiredOption('--node-url <url>', 'where peer nodes reach your node: https (http only for a loopback host), no trailing "/"')
    .option('--nats-user <name>', 'the NATS user your node orders as')
    .option('--nkey <public-key>', 'or the NATS user NKey public key ("U...") it orders as')
    .option('--reason <text>', 'why')
    .action(async (opts: { consortium: string; key: string; url: string; wait?: boolean; org: string; nodeUrl: string; natsUser?: string; nkey?: string; reason?: string }) => {
      if ((opts.natsUser === undefined) === (opts.nkey === undefined)) throw new CliUsageError('give exactly one of --nats-user and --nkey');
      const ordering: JsonValue = opts.natsUser !== undefined ? { natsUser: opts.natsUser } : { nkey: opts.nkey! };
      // Checked here as admission checks them, so a mistyped URL is refused before anything is signed or sent.
      try {
        parseNodeUrl(opts.nodeUrl, '--node-url');
      } catch (err) {
        throw new CliUsageError((err as Error).message);
      }
      try {
        parseOrderingIdentity(ordering, 'ordering');
      } catch (err) {
        throw new CliUsageError(`${opts.natsUser !== undefined ? '--nats-user' : '--nkey'}: ${(err as Error).message}`);
      }
      const change = { type: 'node.endpoint', orgId: opts.org, url: opts.nodeUrl, ordering };
      await post(opts.url, opts.consortium, RecordKind.PROPOSAL, { change, ...(opts.reason ? { reason: opts.reason } : {}) }, opts.key, !!opts.wait);
    });

  common(program.command('register-device').description("register a device's public key for your organisation"))
    .requiredOption('--device <id>', 'device id')
    .requiredOption('--public-key <key>', 'device public key, "ed25519:…" or "p256:…"')
    .option('--kind <kind>', 'sensor or gateway', 'sensor')
    .action(async (opts: { consortium: string; key: string; url: string; wait?: boolean; device: string; publicKey: string; kind: string }) => {
      await post(opts.url, opts.consortium, RecordKind.DEVICE_REGISTER, { deviceId: opts.device, publicKey: opts.publicKey, kind: opts.kind }, opts.key, !!opts.wait);
    });

  common(program.command('revoke-device').description('revoke a device (its owner, or any authority)'))
    .requiredOption('--device <id>', 'device id')
    .option('--reason <text>', 'why')
    .action(async (opts: { consortium: string; key: string; url: string; wait?: boolean; device: string; reason?: string }) => {
      await post(opts.url, opts.consortium, RecordKind.DEVICE_REVOKE, { deviceId: opts.device, ...(opts.reason ? { reason: opts.reason } : {}) }, opts.key, !!opts.wait);
    });
}
