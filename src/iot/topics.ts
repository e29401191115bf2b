/** MQTT topic layout (docs/mqtt.md): provenant/{consortium}/devices/{deviceId}/{readings|status}. */
/** Device ids may contain '/', so a single-level '+' cannot match them: subscribe to the subtree. */
export const DEVICES_SUBSCRIPTION = 'provenant/+/devices/#';

export function readingsTopic(consortium: string, deviceId: string): string {
  return `provenant/${consortium}/devices/${deviceId}/readings`;
}

export function statusTopic(consortium: string, deviceId: string): string {
  return `provenant/${consortium}/devices/${deviceId}/status`;
}

/**
 * Splits a readings or status topic. Device ids may contain '/', so the id is everything between
 * 'devices/' and the last level.
 */
export function parseDeviceTopic(topic: string): { consortium: string; deviceId: string; channel: 'readings' | 'status' } | undefined {
  const parts = topic.split('/');
  if (parts.length < 5 || parts[0] !== 'provenant' || parts[2] !== 'devices') return undefined;
  const channel = parts[parts.length - 1];
  if (channel !== 'readings' && channel !== 'status') return undefined;
  return { consortium: parts[1]!, deviceId: parts.slice(3, -1).join('/'), channel };
}
