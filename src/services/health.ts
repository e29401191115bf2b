/**
 * Liveness and readiness. Liveness is a bare answer for anyone; a member's token adds its own
 * consortium's chain figures (ids, heads and pending counts are not for anonymous callers).
 * Readiness really asks the database, and any further check registered (the MQTT broker).
 */
import { pingDatabase } from '../store/database.js';
import type { Viewer } from './auth.js';
import type { NodeHandles } from './node-handles.js';

export interface ConsortiumHealth {
  id: string;
  height: number;
  head: string;
  logSize: number;
  pending: number;
  sealBlocked: string | null;
}

export interface Liveness {
  status: 'ok';
  consortia?: ConsortiumHealth[];
}

/** A readiness check: resolves when its dependency answers, throws (or resolves false) when not. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'failing'>;
}

/** A check answers within this bound or counts as failing (a readiness probe must not hang). */
const CHECK_TIMEOUT_MS = 2_000;

export class NodeHealth {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(private readonly handles: Pick<NodeHandles, 'node' | 'db'>) {
    this.checks.set('database', async () => {
      await pingDatabase(handles.db);
      return true;
    });
  }

  /** Adds (or replaces) a named readiness check, e.g. the MQTT broker once it runs. */
  addCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  liveness(viewer: Viewer | null): Liveness {
    if (!viewer) return { status: 'ok' };
    const { node } = this.handles;
    if (!node.consortia().includes(viewer.consortiumId)) return { status: 'ok', consortia: [] };
    const state = node.state(viewer.consortiumId);
    const seal = node.sealStatus(viewer.consortiumId);
    return {
      status: 'ok',
      consortia: [{ id: viewer.consortiumId, height: state.height, head: state.headHash, logSize: state.logSize, pending: seal.pending, sealBlocked: seal.blockedReason ?? null }],
    };
  }

  async readiness(): Promise<Readiness> {
    const names = [...this.checks.keys()];
    const outcomes = await Promise.all(names.map((name) => passes(this.checks.get(name)!)));
    const checks = Object.fromEntries(names.map((name, i) => [name, outcomes[i] ? 'ok' : 'failing'] as const));
    return { ready: outcomes.every(Boolean), checks };
  }
}

async function passes(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
