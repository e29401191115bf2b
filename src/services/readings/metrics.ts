/** prom-client counters shared by every ingestor in the process (registered once on the default registry). */
import client from 'prom-client';

let counters:
  | {
      accepted: client.Counter<'consortium'>;
      rejected: client.Counter<'consortium' | 'reason'>;
      gaps: client.Counter<'consortium'>;
      clockAhead: client.Counter<'consortium'>;
      windows: client.Counter<'consortium'>;
      mqttRefused: client.Counter<'action' | 'reason'>;
    }
  | undefined;

function counter<L extends string>(name: string, help: string, labelNames: L[]): client.Counter<L> {
  const existing = client.register.getSingleMetric(name);
  if (existing) return existing as client.Counter<L>;
  return new client.Counter({ name, help, labelNames });
}

export function iotMetrics(): NonNullable<typeof counters> {
  counters ??= {
    accepted: counter('provenant_iot_readings_accepted_total', 'Device readings stored', ['consortium']),
    rejected: counter('provenant_iot_readings_rejected_total', 'Device readings rejected, by reason', ['consortium', 'reason']),
    gaps: counter('provenant_iot_seq_gaps_total', 'Sequence gaps seen in accepted readings', ['consortium']),
    clockAhead: counter('provenant_iot_readings_clock_ahead_total', 'Accepted readings observed later than received, beyond the clock tolerance', ['consortium']),
    windows: counter('provenant_iot_windows_total', 'sensor.window records submitted', ['consortium']),
    mqttRefused: counter('provenant_mqtt_refused_total', 'Embedded broker refusals (connect, publish, subscribe), by reason', ['action', 'reason']),
  };
  return counters;
}
