/** The subscription pub/sub: one topic per feed, with listener counts and a way to end every stream. */
import { Repeater, type PubSub } from 'graphql-yoga';
import type { FeedTopics } from '../../services/feeds/notices.js';
import type { FeedPublisher } from '../../services/feeds/feed.js';
import type { SealedBlockEvent } from '../../services/node/ledger-node.js';

/** Topics for subscriptions. Each is [routing key (the consortium), payload]. */
export type GraphqlPubSub = PubSub<{
  blockSealed: [consortium: string, event: SealedBlockEvent];
  sealedEpcisEvents: [consortium: string, batch: FeedTopics['sealedEpcisEvents']];
  coldChainBreaches: [consortium: string, batch: FeedTopics['coldChainBreaches']];
  recallNotices: [consortium: string, batch: FeedTopics['recallNotices']];
  inspectionFindings: [consortium: string, batch: FeedTopics['inspectionFindings']];
}>;

export interface TrackedPubSub extends GraphqlPubSub {
  /** Whether a subscription is open on the topic for this routing key (the feed skips work nobody receives). */
  listening(topic: string, id: string): boolean;
  /** Subscriptions open now, on one topic or all. */
  openCount(topic?: string): number;
  /** Ends every open subscription: each stream completes and its connection closes. */
  closeAll(): void;
}

export function trackPubSub(inner: GraphqlPubSub): TrackedPubSub {
  const open = new Map<string, Set<() => void>>();
  const innerSubscribe = inner.subscribe as (topic: string, id?: string) => Repeater<unknown>;
  const subscribe = (topic: string, id?: string): Repeater<unknown> => {
    const key = id === undefined ? topic : `${topic}:${id}`;
    return new Repeater<unknown>(async (push, stop) => {
      const source = innerSubscribe(topic, id);
      const stops = open.get(key) ?? new Set<() => void>();
      open.set(key, stops);
      const end = () => stop();
      stops.add(end);
      // Returning the source settles its pending next(), so the loop below ends at once.
      void stop.then(() => {
        stops.delete(end);
        if (stops.size === 0) open.delete(key);
        void source.return();
      });
      for await (const value of source) await push(value);
      stop();
    });
  };
  return {
    publish: inner.publish.bind(inner),
    subscribe: subscribe as GraphqlPubSub['subscribe'],
    listening: (topic, id) => (open.get(`${topic}:${id}`)?.size ?? 0) > 0,
    openCount: (topic) => [...open].reduce((n, [key, stops]) => (topic === undefined || key.startsWith(`${topic}:`) || key === topic ? n + stops.size : n), 0),
    closeAll() {
      for (const stops of [...open.values()]) for (const end of [...stops]) end();
    },
  };
}

/** The feed's view of the pub/sub. */
export function feedPublisher(pubsub: TrackedPubSub): FeedPublisher {
  return {
    listening: (topic, consortium) => pubsub.listening(topic, consortium),
    publish: (topic, consortium, batch) => (pubsub.publish as (topic: string, id: string, payload: unknown) => void)(topic, consortium, batch),
  };
}
