/**
 * Every read use case of one node, for the transports: they authenticate the caller, call these,
 * and map typed errors to answers; they never touch the store.
 */
import { authenticate, type Authentication } from './auth.js';
import { AccessLogService } from './access-log.js';
import { ChainReads } from './chain-reads.js';
import { DocumentService } from './documents.js';
import { EventReads } from './event-reads.js';
import { ExplorerReads } from './explorer.js';
import { FeedReads } from './feeds/delivery.js';
import { startSubscriptionFeed, type FeedPublisher, type SubscriptionFeed } from './feeds/feed.js';
import { LineageReads } from './lineage/reads.js';
import type { NodeHandles } from './node-handles.js';
import { PersonService } from './persons.js';
import type { ReadContext } from './read-context.js';
import { WitnessCosignatures } from './witness-cosignatures.js';

export type { NodeHandles } from './node-handles.js';

export class ReadServices {
  readonly accessLog: AccessLogService;
  readonly chain: ChainReads;
  readonly events: EventReads;
  readonly documents: DocumentService;
  readonly persons: PersonService;
  readonly lineage: LineageReads;
  readonly feeds: FeedReads;
  readonly explorer: ExplorerReads;
  readonly witnesses: WitnessCosignatures;

  constructor(readonly handles: NodeHandles) {
    this.accessLog = new AccessLogService(handles.db);
    this.chain = new ChainReads(handles);
    this.events = new EventReads(handles);
    this.documents = new DocumentService(handles);
    this.persons = new PersonService(handles);
    this.lineage = new LineageReads(handles);
    this.feeds = new FeedReads(handles);
    this.explorer = new ExplorerReads(handles, this.lineage);
    this.witnesses = new WitnessCosignatures(handles, this.chain);
  }

  /** Resolves a bearer token (Authorization header value or the bare token) to a viewer, or why not. */
  authenticate(bearer: string | null | undefined): Promise<Authentication> {
    return authenticate(this.handles.db, this.handles.node, bearer);
  }

  /** The read context of one request: its viewer and a fresh access recorder. */
  async context(bearer: string | null | undefined): Promise<ReadContext> {
    const auth = await this.authenticate(bearer);
    return { viewer: auth.viewer, authProblem: auth.problem, access: this.accessLog.recorder(auth.viewer) };
  }

  /** Starts turning sealed blocks into subscription notices. */
  startFeed(publisher: FeedPublisher, onError?: (err: unknown) => void): SubscriptionFeed {
    return startSubscriptionFeed(this.handles, publisher, onError);
  }

  /** Node liveness (the one read open to anonymous callers). */
  consortiumCount(): number {
    return this.handles.node.consortia().length;
  }
}
