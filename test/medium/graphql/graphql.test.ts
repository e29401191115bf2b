import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { fromHex } from '../../../src/core/crypto/index.js';
import { leafHash, verifyInclusion } from '../../../src/core/ledger/merkle.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { mountGraphql, type GraphqlServer } from '../../../src/transport/graphql/yoga.js';
import { issueToken, revokeToken } from '../../../src/store/token-store.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

interface GqlResponse {
  data?: Record<string, any>;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

describe('GraphQL API over a real SQLite store', () => {
  let node: TestNode;
  let server: GraphqlServer;
  let farmToken: string;
  let retailToken: string;
  // Fixture records are farms' own notes: only the regulator may read all of them (docs/access.md).
  let fsaToken: string;
  const recordHashes: string[] = [];

  async function gql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResponse> {
    const res = await server.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResponse;
  }

  beforeAll(async () => {
    node = await startTestNode({ graphql: true });
    server = node.graphql!;
    // Blocks 1..3 of 3, 4 and 5 records, signed by two farms.
    for (const [block, count] of [3, 4, 5].entries()) {
      const records = Array.from({ length: count }, (_, i) =>
        signRecord(
          { consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { note: `block ${block + 1} record ${i}`, i } },
          node.demo.orgKeys.get(i % 2 ? 'meadow-farm' : 'highfield-farm')!,
        ),
      );
      const outcomes = await node.node.submit(DEMO_CONSORTIUM_ID, records);
      for (const o of outcomes) {
        expect(o.status).toBe('accepted');
        if (o.status === 'accepted') recordHashes.push(o.recordHash);
      }
      expect(await node.node.sealNow(DEMO_CONSORTIUM_ID)).not.toBeNull();
    }
    farmToken = (await issueToken(node.db, DEMO_CONSORTIUM_ID, 'highfield-farm', 'test')).token;
    retailToken = (await issueToken(node.db, DEMO_CONSORTIUM_ID, 'riverside-retail', 'test')).token;
    fsaToken = (await issueToken(node.db, DEMO_CONSORTIUM_ID, 'fsa', 'test')).token;
  });

  afterAll(async () => {
    await node?.destroy();
  });

  describe('authentication', () => {
    it('lets anonymous callers read health only', async () => {
      const health = await gql('{ health { status consortia } }');
      expect(health).toEqual({ data: { health: { status: 'ok', consortia: 1 } } });

      const status = await gql(`{ chainStatus(consortium: "${DEMO_CONSORTIUM_ID}") { __typename ... on Error { code message } ... on ChainStatus { height } } }`);
      expect(status.data?.chainStatus).toMatchObject({ __typename: 'Unauthenticated', code: 'UNAUTHENTICATED' });
      const blocks = await gql(`{ blocks(consortium: "${DEMO_CONSORTIUM_ID}") { __typename ... on Error { code } } }`);
      expect(blocks.data?.blocks).toEqual({ __typename: 'Unauthenticated', code: 'UNAUTHENTICATED' });
      const record = await gql(`{ record(hash: "${recordHashes[0]}") { __typename } }`);
      expect(record.data?.record.__typename).toBe('Unauthenticated');
    });

    it('every root query field but health answers Unauthenticated to anonymous callers', async () => {
      const hash = recordHashes[0];
      const fields: Record<string, string> = {
        chainStatus: `chainStatus(consortium: "${DEMO_CONSORTIUM_ID}")`,
        record: `record(hash: "${hash}")`,
        block: `block(consortium: "${DEMO_CONSORTIUM_ID}", height: 1)`,
        blocks: `blocks(consortium: "${DEMO_CONSORTIUM_ID}")`,
        organisations: `organisations(consortium: "${DEMO_CONSORTIUM_ID}")`,
        accessLog: 'accessLog',
      };
      // Introspection needs a member's token; the fields are then asked anonymously.
      const introspection = await gql('{ __schema { queryType { fields { name } } } }', {}, fsaToken);
      const rootFields = (introspection.data?.__schema.queryType.fields as { name: string }[]).map((f) => f.name).sort();
      // Fields other domains add are covered by the schema-shape test in test/small/api.
      expect(rootFields).toEqual(expect.arrayContaining([...Object.keys(fields), 'health']));
      for (const [name, call] of Object.entries(fields)) {
        const res = await gql(`{ ${call} { __typename } }`);
        expect(res.data?.[name].__typename, name).toBe('Unauthenticated');
      }
    });

    it('accepts a member token and refuses it once revoked', async () => {
      const { token, tokenHash } = await issueToken(node.db, DEMO_CONSORTIUM_ID, 'meadow-farm', 'to revoke');
      const query = `{ chainStatus(consortium: "${DEMO_CONSORTIUM_ID}") { __typename ... on Error { message } } }`;
      expect((await gql(query, {}, token)).data?.chainStatus.__typename).toBe('ChainStatus');
      await revokeToken(node.db, tokenHash);
      const after = await gql(query, {}, token);
      expect(after.data?.chainStatus.__typename).toBe('Unauthenticated');
      expect(after.data?.chainStatus.message).toMatch(/revoked/);
    });

    it('refuses a made-up token', async () => {
      const res = await gql(`{ chainStatus(consortium: "${DEMO_CONSORTIUM_ID}") { __typename } }`, {}, 'pvn_' + 'A'.repeat(43));
      expect(res.data?.chainStatus.__typename).toBe('Unauthenticated');
    });

    it('forbids another consortium', async () => {
      const res = await gql(`{ chainStatus(consortium: "other-chain") { __typename ... on Error { code } } }`, {}, farmToken);
      expect(res.data?.chainStatus).toEqual({ __typename: 'Forbidden', code: 'FORBIDDEN' });
    });
  });

  describe('chain', () => {
    it('reports chain status with checkpoint and quorum health', async () => {
      const res = await gql(
        `query($c: ID!) { chainStatus(consortium: $c) { ... on ChainStatus {
          consortium height headHash logSize pending
          lastCheckpoint { logSize logRoot blockHeight signatureCount }
          quorum { authoritiesInForce requiredQuorum authorityKeysHeld canSeal sealBlockedReason } } } }`,
        { c: DEMO_CONSORTIUM_ID },
        farmToken,
      );
      expect(res.errors).toBeUndefined();
      const state = node.node.state(DEMO_CONSORTIUM_ID);
      expect(res.data?.chainStatus).toMatchObject({
        consortium: DEMO_CONSORTIUM_ID,
        height: 3,
        headHash: state.headHash,
        logSize: state.logSize,
        pending: 0,
        lastCheckpoint: { logSize: state.logSize, blockHeight: 3, signatureCount: 4 },
        quorum: { authoritiesInForce: 4, requiredQuorum: state.requiredQuorum(), authorityKeysHeld: 4, canSeal: true, sealBlockedReason: null },
      });
      expect(res.data?.chainStatus.lastCheckpoint.logRoot).toMatch(/^[0-9a-f]{64}$/);
    });

    it('reports finality per node: the authority keys seen sealing in the log, and the log lag', async () => {
      const res = await gql(
        `query($c: ID!) { chainStatus(consortium: $c) { ... on ChainStatus {
          finality { finalHeight lastSequence lag peers { orgId keyId local inForce lastSealedHeight lastSequence lastSeenAt } } } } }`,
        { c: DEMO_CONSORTIUM_ID },
        farmToken,
      );
      expect(res.errors).toBeUndefined();
      const finality = res.data?.chainStatus.finality;
      expect(finality).toMatchObject({ finalHeight: 3, lag: 0 });
      const authorities = node.node.state(DEMO_CONSORTIUM_ID).authoritiesInForce;
      const peers = finality.peers as { orgId: string; keyId: string; local: boolean; inForce: boolean; lastSealedHeight: number; lastSequence: number; lastSeenAt: string }[];
      // Every authority in force, by key id; the demo node holds every authority key and each sealed the head.
      expect(peers.map((p) => p.keyId)).toEqual(authorities.map((a) => a.keyId).sort());
      for (const p of peers) {
        expect(p).toMatchObject({ orgId: authorities.find((a) => a.keyId === p.keyId)?.orgId, local: true, inForce: true, lastSealedHeight: 3 });
        expect(p.lastSequence).toBeLessThanOrEqual(finality.lastSequence);
        expect(Number.isNaN(Date.parse(p.lastSeenAt))).toBe(false);
      }
    });

    it('returns a record with an inclusion proof that verifies against its block root', async () => {
      const hash = recordHashes[5]!; // block 2, index 2
      const res = await gql(
        `query($h: String!) { record(hash: $h) { __typename ... on LedgerRecord {
          hash kind signer { keyId orgId } signedAt payload logIndex blockHeight blockHash indexInBlock
          inclusionProof { leafIndex treeSize merkleRoot path } } } }`,
        { h: hash },
        fsaToken,
      );
      expect(res.errors).toBeUndefined();
      const r = res.data?.record;
      expect(r).toMatchObject({ __typename: 'LedgerRecord', hash, kind: RecordKind.EPCIS_EVENT, blockHeight: 2, indexInBlock: 2, payload: { note: 'block 2 record 2', i: 2 } });
      expect(r.signer).toEqual({ keyId: node.demo.orgKeys.get('highfield-farm')!.keyId, orgId: 'highfield-farm' });
      const block = await node.db.block.findUniqueOrThrow({ where: { consortiumId_height: { consortiumId: DEMO_CONSORTIUM_ID, height: 2 } } });
      expect(r.blockHash).toBe(block.hash);
      expect(r.inclusionProof.merkleRoot).toBe(block.merkleRoot);
      expect(r.inclusionProof.treeSize).toBe(4);
      const proof = (r.inclusionProof.path as string[]).map((h) => fromHex(h, 32));
      expect(() => verifyInclusion(leafHash(fromHex(hash, 32)), 2, 4, proof, fromHex(block.merkleRoot, 32))).not.toThrow();
      // The same proof does not verify another record.
      expect(() => verifyInclusion(leafHash(fromHex(recordHashes[4]!, 32)), 2, 4, proof, fromHex(block.merkleRoot, 32))).toThrow();
    });

    it('answers NotFound for an unknown record and InvalidIdentifier for a malformed hash', async () => {
      const query = `query($h: String!) { record(hash: $h) { __typename ... on Error { code message } } }`;
      const missing = await gql(query, { h: 'ab'.repeat(32) }, farmToken);
      expect(missing.data?.record).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
      const bad = await gql(query, { h: 'xyz' }, farmToken);
      expect(bad.data?.record).toMatchObject({ __typename: 'InvalidIdentifier', code: 'INVALID_IDENTIFIER' });
    });

    it('returns a block with seals and paginated records', async () => {
      const query = `query($after: String) { block(consortium: "${DEMO_CONSORTIUM_ID}", height: 3) { __typename ... on Block {
        height hash previousHash merkleRoot recordCount logSize seals { keyId orgId }
        records(first: 2, after: $after) { edges { cursor node { hash indexInBlock } } pageInfo { hasNextPage endCursor } } } } }`;
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const res = await gql(query, { after }, fsaToken);
        expect(res.errors).toBeUndefined();
        const b = res.data?.block;
        expect(b).toMatchObject({ __typename: 'Block', height: 3, recordCount: 5, logSize: node.node.state(DEMO_CONSORTIUM_ID).logSize });
        expect(b.seals).toHaveLength(4);
        expect(b.seals.map((s: { orgId: string }) => s.orgId).sort()).toEqual(['fsa', 'hmrc', 'port-felixstowe', 'riverside-retail']);
        for (const e of b.records.edges) seen.push(e.node.hash);
        if (!b.records.pageInfo.hasNextPage) break;
        after = b.records.pageInfo.endCursor;
      }
      expect(seen).toEqual(recordHashes.slice(7, 12));
      const missing = await gql(`{ block(consortium: "${DEMO_CONSORTIUM_ID}", height: 99) { __typename } }`, {}, farmToken);
      expect(missing.data?.block.__typename).toBe('NotFound');
    });

    it('pages blocks newest first, forwards and backwards', async () => {
      const query = `query($first: Int, $after: String, $last: Int, $before: String) {
        blocks(consortium: "${DEMO_CONSORTIUM_ID}", first: $first, after: $after, last: $last, before: $before) {
          ... on QueryBlocksConnection { edges { cursor node { height } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor } } } }`;
      const heights: number[] = [];
      let after: string | undefined;
      for (;;) {
        const res = await gql(query, { first: 2, after }, farmToken);
        expect(res.errors).toBeUndefined();
        const conn = res.data?.blocks;
        heights.push(...conn.edges.map((e: { node: { height: number } }) => e.node.height));
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
      expect(heights).toEqual([3, 2, 1, 0]);
      const back = await gql(query, { last: 2, before: '1' }, farmToken);
      expect(back.data?.blocks.edges.map((e: { node: { height: number } }) => e.node.height)).toEqual([3, 2]);
      const badCursor = await gql(`{ blocks(consortium: "${DEMO_CONSORTIUM_ID}", after: "nope") { __typename } }`, {}, farmToken);
      expect(badCursor.data?.blocks.__typename).toBe('InvalidIdentifier');
    });

    it('lists organisations as a connection', async () => {
      const res = await gql(
        `{ organisations(consortium: "${DEMO_CONSORTIUM_ID}", first: 3) { ... on QueryOrganisationsConnection { edges { node { id roles isAuthority status } } pageInfo { hasNextPage } } } }`,
        {},
        farmToken,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.organisations.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(['fsa', 'highfield-farm', 'hmrc']);
      expect(res.data?.organisations.edges[0].node).toEqual({ id: 'fsa', roles: ['REGULATOR'], isAuthority: true, status: 'active' });
      expect(res.data?.organisations.pageInfo.hasNextPage).toBe(true);
    });
  });

  describe('access log', () => {
    it("records reads of another organisation's payloads, visible to the owner only", async () => {
      const hash = recordHashes[1]!; // signed by meadow-farm
      const meadow = (await issueToken(node.db, DEMO_CONSORTIUM_ID, 'meadow-farm', 'owner')).token;
      const read = await gql(`{ record(hash: "${hash}") { ... on LedgerRecord { payload } } }`, {}, fsaToken);
      expect(read.data?.record.payload).toBeDefined();
      // Reading your own record is not logged.
      await gql(`{ record(hash: "${hash}") { ... on LedgerRecord { payload } } }`, {}, meadow);
      const log = await gql(
        `{ accessLog(first: 10) { ... on QueryAccessLogConnection { edges { node { viewerOrg subjectType subjectId accessedAt } } } } }`,
        {},
        meadow,
      );
      expect(log.errors).toBeUndefined();
      const entries = log.data?.accessLog.edges.map((e: { node: unknown }) => e.node) as { viewerOrg: string; subjectId: string }[];
      expect(entries.filter((e) => e.subjectId === hash)).toEqual([expect.objectContaining({ viewerOrg: 'fsa', subjectType: 'LedgerRecord' })]);
      expect(entries.every((e) => e.viewerOrg !== 'meadow-farm')).toBe(true);
      // The reader does not see the owner's log.
      const other = await gql(`{ accessLog { ... on QueryAccessLogConnection { edges { node { subjectId } } } } }`, {}, retailToken);
      expect(other.data?.accessLog.edges.map((e: { node: { subjectId: string } }) => e.node.subjectId)).not.toContain(hash);
    });
  });

  describe('limits and masking', () => {
    // record -> block -> records -> edges -> node -> block ...: depth grows 4 per hop.
    function nestedRecordQuery(hops: number): string {
      let inner = 'hash';
      for (let i = 0; i < hops; i++) inner = `hash block { records(first: 1) { edges { node { ${inner} } } } }`;
      return `{ record(hash: "${recordHashes[0]}") { ... on LedgerRecord { ${inner} } } }`;
    }

    it('accepts a query within the depth limit', async () => {
      const res = await gql(nestedRecordQuery(2), {}, farmToken);
      expect(res.errors).toBeUndefined();
      expect(res.data?.record.block.records.edges[0].node.block.records.edges[0].node.hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('refuses an over-deep query before running it', async () => {
      const res = await gql(nestedRecordQuery(3), {}, farmToken);
      expect(res.data).toBeUndefined();
      expect(res.errors?.map((e) => e.message)).toContainEqual(expect.stringMatching(/depth limit of 12 exceeded/i));
    });

    it('refuses an alias bomb', async () => {
      const fine = await gql(`{ ${Array.from({ length: 15 }, (_, i) => `h${i}: health { status }`).join(' ')} }`);
      expect(fine.errors).toBeUndefined();
      const bomb = await gql(`{ ${Array.from({ length: 40 }, (_, i) => `h${i}: health { status }`).join(' ')} }`);
      expect(bomb.data).toBeUndefined();
      expect(bomb.errors?.[0]?.message).toMatch(/aliases limit of 15 exceeded/i);
    });

    it('refuses an over-costly query', async () => {
      const fields = 'hash kind signedAt receivedAt payload logIndex blockHeight indexInBlock signer { keyId orgId } inclusionProof { leafIndex treeSize merkleRoot path }';
      const perAlias = `blocks(consortium: "${DEMO_CONSORTIUM_ID}") { ... on QueryBlocksConnection { edges { node { height records { edges { node { ${fields} block { records { edges { node { ${fields} } } } } } } } } } } }`;
      const wide = Array.from({ length: 10 }, (_, i) => `b${i}: ${perAlias}`).join(' ');
      const res = await gql(`{ ${wide} }`, {}, farmToken);
      expect(res.data).toBeUndefined();
      expect(res.errors?.map((e) => e.message)).toContainEqual(expect.stringMatching(/cost limit of 5000 exceeded/i));
    });

    it('masks unexpected errors', async () => {
      const original = node.store.latestCheckpoint.bind(node.store);
      node.store.latestCheckpoint = async () => {
        throw new Error('disk on fire at /secret/path');
      };
      try {
        const res = await gql(`{ chainStatus(consortium: "${DEMO_CONSORTIUM_ID}") { ... on ChainStatus { height lastCheckpoint { logSize } } } }`, {}, farmToken);
        expect(res.errors?.[0]?.message).toBe('Unexpected error.');
        expect(JSON.stringify(res)).not.toContain('secret');
      } finally {
        node.store.latestCheckpoint = original;
      }
    });
  });

  describe('subscriptions and express mounting', () => {
    it('mounts on express and streams blockSealed over SSE', async () => {
      const app = express();
      const mounted = mountGraphql(app, node.ctx);
      const http = app.listen(0);
      try {
        await new Promise((resolve) => http.once('listening', resolve));
        const port = (http.address() as { port: number }).port;
        const health = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ health { status } }' }),
        });
        expect(await health.json()).toEqual({ data: { health: { status: 'ok' } } });
        const graphiql = await fetch(`http://127.0.0.1:${port}/graphql`, { headers: { accept: 'text/html' } });
        expect(await graphiql.text()).toContain('Provenant GraphQL');

        const anonymous = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ query: `subscription { blockSealed(consortium: "${DEMO_CONSORTIUM_ID}") { height } }` }),
        });
        const refused = await anonymous.text();
        expect(refused).toContain('UNAUTHENTICATED');
        expect(refused).not.toContain('"height"');

        const abort = new AbortController();
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${farmToken}` },
          body: JSON.stringify({ query: `subscription { blockSealed(consortium: "${DEMO_CONSORTIUM_ID}") { height hash recordCount } }` }),
          signal: abort.signal,
        });
        expect(res.headers.get('content-type')).toContain('text/event-stream');
        const reader = res.body!.getReader();
        // Give the subscription a moment to register, then seal a block.
        await new Promise((r) => setTimeout(r, 100));
        await node.node.submit(DEMO_CONSORTIUM_ID, [
          signRecord({ consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { note: 'sse' } }, node.demo.orgKeys.get('highfield-farm')!),
        ]);
        const sealed = await node.node.sealNow(DEMO_CONSORTIUM_ID);
        let text = '';
        while (!text.includes('"blockSealed"')) {
          const { value, done } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
        abort.abort();
        expect(text).toContain(`"height":${sealed!.height}`);
        expect(text).toContain(sealed!.hash);
      } finally {
        await mounted.close();
        await new Promise((resolve) => http.close(resolve));
      }
    });
  });
});
