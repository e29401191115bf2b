/** MQTT topic layout (docs/mqtt.md): provenant/{consortium}/devices/{deviceId}/{readings|status}. */
/** Device ids may contain '/', so a single-level '+' cannot match them: subscribe to the subtree. */
export const DEVICES_SUBSCRIPTION = 'provenant/+/devices/#';

export function readingsTopic(consortium: string, deviceId: string): string {
  return `provenant/${consortium}/devices/${deviceId}/readings`;
}

export function statusTopic(consortium: string, deviceId: string): string {
  return `provenant/${consortium}/devices/${deviceId}/status`;
}

type DeviceTopic = { consortium: string; deviceId: string; channel: 'readings' | 'status' };

/** Devices publish on the same few topics again and again: their splits are kept (bounded). */
const parsedTopics = new Map<string, DeviceTopic | undefined>();
const PARSED_TOPICS_LIMIT = 10_000;

/**
 * Splits a readings or status topic. Device ids may contain '/', so the id is everything between
 * 'devices/' and the last level. The result is shared: do not modify it.
 */
export function parseDeviceTopic(topic: string): Readonly<DeviceTopic> | undefined {
  if (parsedTopics.has(topic)) return parsedTopics.get(topic);
  const parts = topic.split('/');
  let parsed: DeviceTopic | undefined;
  const channel = parts[parts.length - 1];
  if (parts.length >= 5 && parts[0] === 'provenant' && parts[2] === 'devices' && (channel === 'readings' || channel === 'status')) {
    parsed = Object.freeze({ consortium: parts[1]!, deviceId: parts.slice(3, -1).join('/'), channel });
  }
  if (parsedTopics.size >= PARSED_TOPICS_LIMIT) parsedTopics.clear();
  parsedTopics.set(topic, parsed);
  return parsed;
}
