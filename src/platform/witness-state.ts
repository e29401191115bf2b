/**
 * A witness's own directory: what it pinned on first contact and what it cosigned
 * (`witness-state.json`, replaced atomically: temp file, fsync, rename, fsync of the directory),
 * the evidence of any split view it caught (`evidence/`), and a lock so that one process at a time
 * uses it (`witness.lock`). The layout is in docs/witness.md.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { writeFileDurably } from './durable-files.js';
import path from 'node:path';
import { CodedError } from '../core/coded-error.js';
import type { SignedCheckpoint } from '../core/witness/decision.js';
import type { WitnessEvidence } from '../core/witness/evidence.js';
import type { WitnessCosignature } from '../core/lineage/bundle-types.js';

export const WITNESS_STATE_FORMAT = 'provenant-witness-state/1';
const STATE_FILE = 'witness-state.json';
const LOCK_FILE = 'witness.lock';
const EVIDENCE_DIR = 'evidence';

export interface WitnessState {
  format: typeof WITNESS_STATE_FORMAT;
  consortium: string;
  /** The genesis block hash pinned on first contact (or given with --genesis). */
  genesisHash: string;
  /** The witness's public key: the state belongs to this key. */
  witnessKey: string;
  /** The last checkpoint cosigned, and the cosignature (re-posted to nodes that lack it). */
  lastCosigned?: SignedCheckpoint & { cosignature: WitnessCosignature };
  /** Checkpoints cosigned lately, by ascending log size (the last cosigned among them). */
  recent: SignedCheckpoint[];
}

export class WitnessStateError extends CodedError<'WITNESS_STATE_UNREADABLE' | 'WITNESS_LOCKED'> {
  override readonly name = 'WitnessStateError';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class WitnessStateDir {
  readonly stateFile: string;
  readonly evidenceDir: string;
  readonly #lockFile: string;
  #locked = false;

  constructor(readonly dir: string) {
    this.stateFile = path.join(dir, STATE_FILE);
    this.evidenceDir = path.join(dir, EVIDENCE_DIR);
    this.#lockFile = path.join(dir, LOCK_FILE);
  }

  /** Creates the directory (0700) and takes the lock; a lock held by a live process is WITNESS_LOCKED. */
  lock(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.#lockFile, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.#locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number(readFileSync(this.#lockFile, 'utf8').trim());
        if (Number.isSafeInteger(holder) && holder > 0 && processAlive(holder)) {
          throw new WitnessStateError('WITNESS_LOCKED', `the witness state ${this.dir} is in use by process ${holder}`, { dir: this.dir, pid: holder });
        }
        // Left by a process that has gone: take it over.
        rmSync(this.#lockFile, { force: true });
      }
    }
    throw new WitnessStateError('WITNESS_LOCKED', `could not take the lock ${this.#lockFile}`, { dir: this.dir });
  }

  unlock(): void {
    if (this.#locked) rmSync(this.#lockFile, { force: true });
    this.#locked = false;
  }

  /** The saved state, or undefined before the first contact. */
  load(): WitnessState | undefined {
    if (!existsSync(this.stateFile)) return undefined;
    let state: unknown;
    try {
      state = JSON.parse(readFileSync(this.stateFile, 'utf8'));
    } catch (err) {
      throw new WitnessStateError('WITNESS_STATE_UNREADABLE', `cannot read ${this.stateFile}: ${(err as Error).message}`, { file: this.stateFile });
    }
    const s = state as Partial<WitnessState> | null;
    if (!s || s.format !== WITNESS_STATE_FORMAT || typeof s.consortium !== 'string' || typeof s.genesisHash !== 'string' || typeof s.witnessKey !== 'string' || !Array.isArray(s.recent)) {
      throw new WitnessStateError('WITNESS_STATE_UNREADABLE', `${this.stateFile} is not a witness state (${WITNESS_STATE_FORMAT})`, { file: this.stateFile });
    }
    return s as WitnessState;
  }

  /** Replaces the state durably; returns once it is on disk. */
  save(state: WitnessState): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileDurably(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }

  /** Writes an evidence file durably and returns its path (never overwrites one). */
  writeEvidence(evidence: WitnessEvidence): string {
    mkdirSync(this.evidenceDir, { recursive: true, mode: 0o700 });
    const stem = `${evidence.detectedAt.replace(/[:.]/g, '-')}-${evidence.code}`;
    let file = path.join(this.evidenceDir, `${stem}.json`);
    for (let n = 2; existsSync(file); n++) file = path.join(this.evidenceDir, `${stem}-${n}.json`);
    writeFileDurably(file, `${JSON.stringify(evidence, null, 2)}\n`);
    return file;
  }
}
