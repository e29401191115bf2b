/**
 * A consortium run as one node per organisation (`provenant network init`): each authority
 * organisation gets a data directory holding only its own key and the keys of the member
 * organisations it hosts; every node imports the same genesis block (public keys only); every
 * node gets its own NATS user, limited to the consortium's stream (nodePermissions).
 *
 * The genesis is signed and sealed here, once, by the authorities' fresh keys; after that each
 * private key is written to one data directory only and forgotten.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CodedError } from '../../core/coded-error.js';
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../core/crypto/index.js';
import { blockHash, type Block } from '../../core/ledger/block.js';
import { createGenesisBlock, type ConsortiumState, type GenesisSpec } from '../../core/ledger/consortium.js';
import { formatTimestamp } from '../../core/ledger/record.js';
import { inboxPrefixOf, nodePermissions } from '../../platform/ordering/jetstream-settings.js';
import { DEMO_CONSORTIUM_ID, DEMO_ORGS, NETWORK_EXTRA_AUTHORITIES } from './demo-consortium.js';
import { Keystore, type StoredKey } from './keystore.js';

export class NetworkSetupError extends CodedError<'NETWORK_DIR_NOT_EMPTY' | 'NETWORK_BAD_OPTION' | 'NODE_HOLDS_FOREIGN_KEY' | 'GENESIS_UNREADABLE'> {
  override readonly name = 'NetworkSetupError';
}

/** What a node's data directory says about who runs it (`node.json`; no secrets). */
export interface NodeIdentity {
  consortium: string;
  /** The organisation that runs the node. */
  org: string;
  /** Member organisations that chose this node as their host (their keys are here too). */
  hosts: string[];
  natsUser: string;
}

export interface NetworkNode extends NodeIdentity {
  dataDir: string;
  /** The node's NATS password (also in its `node.env`, mode 0600). */
  natsPassword: string;
}

export interface NetworkPlan {
  consortium: string;
  genesisHash: string;
  genesisFile: string;
  nodes: NetworkNode[];
  /** The `authorization { users: [...] }` block every nats-server of the cluster includes. */
  natsUsersFile: string;
  /** The operator user that provisions the stream (password in `nats/operator.env`). */
  operator: { user: string; password: string };
}

export const NODE_IDENTITY_FILE = 'node.json';
export const GENESIS_FILE = 'genesis.json';

const secret = () => randomBytes(18).toString('base64url');

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}

/**
 * Writes the consortium into `dir`: `genesis.json`, one data directory per authority organisation
 * (`<org>/keys`, `<org>/node.json`, `<org>/node.env`, `<org>/genesis.json`) and `nats/users.conf`.
 * The organisations are the demo consortium's: its first `orgs` authorities run nodes (1 to 4, then
 * up to 7 with NETWORK_EXTRA_AUTHORITIES); with `members`, the demo's other organisations join as
 * members, each hosted by one of those nodes.
 */
export function initNetwork(options: { dir: string; orgs: number; members?: boolean; consortium?: string; now?: Date }): NetworkPlan {
  const authorities = [...DEMO_ORGS.filter((o) => o.authority), ...NETWORK_EXTRA_AUTHORITIES];
  if (!Number.isSafeInteger(options.orgs) || options.orgs < 1 || options.orgs > authorities.length) {
    throw new NetworkSetupError('NETWORK_BAD_OPTION', `--orgs must be 1 to ${authorities.length}`, { orgs: options.orgs });
  }
  const dir = path.resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new NetworkSetupError('NETWORK_DIR_NOT_EMPTY', `${dir} is not empty; a network is initialised once, into a new directory`, { dir });
  }
  const consortium = options.consortium ?? DEMO_CONSORTIUM_ID;
  const running = authorities.slice(0, options.orgs);
  const hosted = options.members === false ? [] : DEMO_ORGS.filter((o) => !o.authority);
  const orgs = [...running, ...hosted];
  const keys = new Map<string, KeyPair>(orgs.map((o) => [o.id, generateKeyPair('ed25519')]));
  const spec: GenesisSpec = {
    consortiumId: consortium,
    name: 'UK red meat and cargo (one node per organisation)',
    members: orgs.map((o) => ({ id: o.id, name: o.name, roles: o.roles, keys: [encodePublicKey(keys.get(o.id)!.publicKey)], identifiers: o.identifiers })),
    authorities: running.map((o) => ({ orgId: o.id, keyId: keys.get(o.id)!.keyId })),
  };
  const genesis = createGenesisBlock(spec, running.map((o) => keys.get(o.id)!), formatTimestamp(options.now ?? new Date()));
  const genesisText = `${JSON.stringify(genesis, null, 2)}\n`;
  mkdirSync(path.join(dir, 'nats'), { recursive: true, mode: 0o700 });
  const genesisFile = path.join(dir, GENESIS_FILE);
  writeFileSync(genesisFile, genesisText);
  const nodes: NetworkNode[] = running.map((o, i) => {
    const dataDir = path.join(dir, o.id);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const hosts = hosted.filter((_, j) => j % running.length === i).map((m) => m.id);
    const keystore = new Keystore(path.join(dataDir, 'keys'));
    for (const org of [o.id, ...hosts]) keystore.save(org, keys.get(org)!);
    const node: NetworkNode = { consortium, org: o.id, hosts, natsUser: `${o.id}-node`, natsPassword: secret(), dataDir };
    const identity: NodeIdentity = { consortium, org: node.org, hosts, natsUser: node.natsUser };
    writeFileSync(path.join(dataDir, NODE_IDENTITY_FILE), `${JSON.stringify(identity, null, 2)}\n`);
    writeFileSync(path.join(dataDir, GENESIS_FILE), genesisText);
    writePrivate(path.join(dataDir, 'node.env'), `PROVENANT_ORG=${node.org}\nPROVENANT_NATS_USER=${node.natsUser}\nPROVENANT_NATS_PASSWORD=${node.natsPassword}\n`);
    return node;
  });
  keys.clear();
  const operator = { user: 'operator', password: secret() };
  const natsUsersFile = path.join(dir, 'nats', 'users.conf');
  writePrivate(natsUsersFile, natsUsersConf(consortium, operator, nodes));
  writePrivate(path.join(dir, 'nats', 'operator.env'), `NATS_OPERATOR_USER=${operator.user}\nNATS_OPERATOR_PASSWORD=${operator.password}\n`);
  const routeSecret = secret();
  for (const server of NATS_SERVERS) writePrivate(path.join(dir, 'nats', `${server}.conf`), natsServerConf(server, routeSecret));
  return { consortium, genesisHash: blockHash(genesis.header), genesisFile, nodes, natsUsersFile, operator };
}

/** The servers of the cluster `compose.yaml` runs (host names n1, n2, n3). */
export const NATS_SERVERS = ['n1', 'n2', 'n3'] as const;

/**
 * One server's configuration for `compose.yaml`: JetStream on file storage, routes to the other two
 * with a shared route secret, and the users of `users.conf` (mounted beside it). Outside one host,
 * add TLS for clients and routes (docs/design/ordering.md, "TLS").
 */
export function natsServerConf(server: string, routeSecret: string): string {
  const routes = NATS_SERVERS.filter((s) => s !== server).map((s) => JSON.stringify(`nats-route://route:${routeSecret}@${s}:6222`));
  return [
    `server_name: ${server}`,
    'listen: 0.0.0.0:4222',
    'http: 0.0.0.0:8222',
    'jetstream { store_dir: /data, max_file_store: 16GB }',
    'cluster {',
    '  name: provenant',
    '  listen: 0.0.0.0:6222',
    `  authorization { user: route, password: ${JSON.stringify(routeSecret)} }`,
    `  routes: [${routes.join(', ')}]`,
    '}',
    'include ./users.conf',
    '',
  ].join('\n');
}

/** nats-server configuration: the operator (provisions streams) and one user per node, each limited to its consortium. */
export function natsUsersConf(consortium: string, operator: { user: string; password: string }, nodes: readonly { natsUser: string; natsPassword: string }[]): string {
  const users = [
    `    { user: ${JSON.stringify(operator.user)}, password: ${JSON.stringify(operator.password)} }`,
    ...nodes.map(
      (n) =>
        `    { user: ${JSON.stringify(n.natsUser)}, password: ${JSON.stringify(n.natsPassword)}, permissions: ${JSON.stringify(nodePermissions([consortium], inboxPrefixOf(n.natsUser)))} }`,
    ),
  ];
  return ['authorization {', '  users: [', ...users, '  ]', '}', ''].join('\n');
}

/** A data directory `provenant network init` wrote: a node of a multi-node consortium. */
export function isNetworkNode(dataDir: string): boolean {
  return existsSync(path.join(dataDir, NODE_IDENTITY_FILE));
}

export function readNodeIdentity(dataDir: string): NodeIdentity | undefined {
  const file = path.join(dataDir, NODE_IDENTITY_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as NodeIdentity;
}

export function readGenesisBlock(file: string): Block {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Block;
  } catch (err) {
    throw new NetworkSetupError('GENESIS_UNREADABLE', `cannot read the genesis block ${file}: ${(err as Error).message}`, { file });
  }
}

/**
 * Keys this node must not hold: a key registered to an organisation other than the one running the
 * node and those it hosts. An authority's key lives only in its own authority's node.
 */
export function foreignKeys(state: ConsortiumState, keys: readonly StoredKey[], org: string, hosts: readonly string[]): { label: string; orgId: string }[] {
  const allowed = new Set([org, ...hosts]);
  const out: { label: string; orgId: string }[] = [];
  for (const k of keys) {
    const entry = state.keys.get(k.keyPair.keyId);
    if (entry && !allowed.has(entry.orgId)) out.push({ label: k.label, orgId: entry.orgId });
  }
  return out;
}

export function assertOwnKeys(state: ConsortiumState, keys: readonly StoredKey[], org: string, hosts: readonly string[]): void {
  const foreign = foreignKeys(state, keys, org, hosts);
  if (foreign.length > 0) {
    throw new NetworkSetupError(
      'NODE_HOLDS_FOREIGN_KEY',
      `this node runs for ${org} but its keystore holds keys of ${[...new Set(foreign.map((f) => f.orgId))].join(', ')}; remove them (each organisation keeps its keys on its own node)`,
      { org, foreign },
    );
  }
}
