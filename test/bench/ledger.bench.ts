/** Issue 2 figures: records sealed per second through the ledger layer, and full-chain verification. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyRaw, generateKeyPair } from '../../src/core/crypto/index.js';
import { blockHash, sealBlock } from '../../src/core/ledger/block.js';
import { ConsortiumState, admitRecord, buildBlockHeader, closeBlock, createGenesisBlock } from '../../src/core/ledger/consortium.js';
import { RecordKind, signRecord, type SignedRecord } from '../../src/core/ledger/record.js';
import { signRecordBatch } from '../../src/core/ledger/record-batch.js';
import { loadConfig } from '../../src/platform/config.js';
import { openNode } from '../../src/services/node/bootstrap.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID } from '../../src/services/node/demo-consortium.js';
import { verifyStoredChain } from '../../src/services/node/verify-stored-chain.js';
import { timed, type BenchContext } from './harness.js';

function makeRecords(count: number, keys: ReturnType<typeof buildDemoConsortium>['orgKeys']): SignedRecord[] {
  const signers = ['highfield-farm', 'meadow-farm', 'northern-abattoir', 'vale-processors'].map((o) => keys.get(o)!);
  return Array.from({ length: count }, (_, i) =>
    signRecord(
      { consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { event: { type: 'ObjectEvent', n: i, epcList: [`urn:epc:id:sgtin:0614141.107346.${i}`] } } },
      signers[i % signers.length]!,
    ),
  );
}

/** The same records, signed in batches of 100 per signer (docs/batch-signatures.md). */
function makeBatchSignedRecords(count: number, keys: ReturnType<typeof buildDemoConsortium>['orgKeys']): SignedRecord[] {
  const signers = ['highfield-farm', 'meadow-farm', 'northern-abattoir', 'vale-processors'].map((o) => keys.get(o)!);
  const records: SignedRecord[] = [];
  for (let start = 0; start < count; start += 100) {
    const drafts = Array.from({ length: Math.min(100, count - start) }, (_, i) => ({
      consortium: DEMO_CONSORTIUM_ID,
      kind: RecordKind.EPCIS_EVENT,
      payload: { event: { type: 'ObjectEvent', n: start + i, epcList: [`urn:epc:id:sgtin:0614141.107346.${start + i}`] } },
    }));
    records.push(...signRecordBatch(drafts, signers[(start / 100) % signers.length]!));
  }
  return records;
}

/** Stores the records through the node (blocks of blockSize) and times `provenant verify` over them. */
async function verifyRate(records: SignedRecord[], blockSize: number, demo: ReturnType<typeof buildDemoConsortium>): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'provenant-bench-'));
  try {
    const opened = await openNode(loadConfig({ dataDir }), { autoSeal: false });
    await opened.node.createConsortium(demo.spec, demo.authorityKeys);
    for (let start = 0; start < records.length; start += blockSize) {
      const outcomes = await opened.node.submit(DEMO_CONSORTIUM_ID, records.slice(start, start + blockSize));
      if (outcomes.some((o) => o.status !== 'accepted')) throw new Error('bench record rejected');
      await opened.node.sealNow(DEMO_CONSORTIUM_ID);
    }
    const verified = await timed(() => verifyStoredChain(opened.store, DEMO_CONSORTIUM_ID, undefined, { projections: false }));
    if (!verified.result.ok) throw new Error('bench chain failed verification');
    await opened.close();
    return verified.result.records / verified.seconds;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function ledgerBench(ctx: BenchContext): Promise<void> {
  const count = ctx.quick ? 4_000 : 20_000;
  const blockSize = 1_000;
  const demo = buildDemoConsortium();
  ctx.progress(`signing ${count} records`);
  const records = makeRecords(count, demo.orgKeys);

  // noble's reference verifier, for comparison with the OpenSSL fast path the ledger uses.
  const kp = generateKeyPair();
  const msg = new Uint8Array(64);
  const sig = (await import('../../src/core/crypto/index.js')).sign(kp.privateKey, msg);
  const nobleRuns = ctx.quick ? 300 : 1500;
  const noble = await timed(() => {
    for (let i = 0; i < nobleRuns; i++) verifyRaw('ed25519', kp.publicKey.bytes, msg, sig.bytes);
  });
  ctx.report({ section: 'crypto', name: 'Ed25519 verify, noble (reference rule set)', value: nobleRuns / noble.seconds, unit: 'verifies/s', compareToRaw: true });

  // Pure ledger layer: admit (verify signature + signer standing), build, seal and close blocks.
  const genesis = createGenesisBlock(demo.spec, demo.authorityKeys, new Date().toISOString());
  const state = ConsortiumState.fromGenesis(genesis);
  const sealed = await timed(() => {
    for (let start = 0; start < records.length; start += blockSize) {
      const batch = records.slice(start, start + blockSize);
      const hashes = batch.map((r) => admitRecord(state, r).recordHash);
      const header = buildBlockHeader(state, { height: state.height, hash: state.headHash }, hashes, new Date().toISOString());
      const hash = blockHash(header);
      demo.authorityKeys.slice(0, state.requiredQuorum()).map((k) => sealBlock(hash, k));
      closeBlock(state, header, hash);
    }
  });
  ctx.report({ section: 'ledger', name: `records sealed/s, ledger layer (blocks of ${blockSize})`, value: count / sealed.seconds, unit: 'records/s', compareToRaw: true });

  // Through the node and the SQLite store, with durable commits.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'provenant-bench-'));
  try {
    const opened = await openNode(loadConfig({ dataDir }), { autoSeal: false });
    await opened.node.createConsortium(demo.spec, demo.authorityKeys);
    ctx.progress(`submitting ${count} records to a durable SQLite store`);
    const stored = await timed(async () => {
      for (let start = 0; start < records.length; start += blockSize) {
        const outcomes = await opened.node.submit(DEMO_CONSORTIUM_ID, records.slice(start, start + blockSize));
        if (outcomes.some((o) => o.status !== 'accepted')) throw new Error('bench record rejected');
        await opened.node.sealNow(DEMO_CONSORTIUM_ID);
      }
    });
    ctx.report({ section: 'ledger', name: `records sealed/s, node + SQLite (durable, blocks of ${blockSize})`, value: count / stored.seconds, unit: 'records/s', compareToRaw: true });

    ctx.progress('re-verifying the whole chain from genesis');
    // Chain checks only: these records bypass capture, so the capture projections they would have are absent by design.
    const verified = await timed(() => verifyStoredChain(opened.store, DEMO_CONSORTIUM_ID, undefined, { projections: false }));
    if (!verified.result.ok) throw new Error('bench chain failed verification');
    ctx.report({ section: 'ledger', name: 'full-chain verification (provenant verify)', value: verified.result.records / verified.seconds, unit: 'records/s', compareToRaw: true, note: '(chain checks; no projections)' });
    await opened.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  ctx.progress(`storing ${count} batch-signed records (batches of 100) and re-verifying the chain`);
  const batchRate = await verifyRate(makeBatchSignedRecords(count, demo.orgKeys), blockSize, demo);
  ctx.report({ section: 'ledger', name: 'full-chain verification, batch-signed chain (batches of 100)', value: batchRate, unit: 'records/s', compareToRaw: true, note: '(chain checks; no projections)' });
}
