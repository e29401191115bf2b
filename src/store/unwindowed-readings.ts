/**
 * The stored readings not yet in a window record, kept in memory per device so the window flusher
 * need not read them back: filled as readings commit, trimmed as window records commit. It is a
 * cache of DeviceReading rows: beyond a bound, or after anything unexpected (a row count that
 * disagrees, a failed commit), it is dropped and the rows are read from the store again, as after a
 * restart.
 */

/** A stored reading not yet in a window record, as the flusher needs it. */
export interface UnwindowedReading {
  seq: number;
  observedAt: string;
  receivedAt: string;
  gapFrom: number | null;
  body: string;
  digest: string;
}

export interface UnwindowedDevice {
  consortium: string;
  deviceId: string;
  /** In seq order. */
  rows: UnwindowedReading[];
}

/** Unwindowed readings by device (key: consortium NUL deviceId). */
export type Unwindowed = Map<string, UnwindowedDevice>;

/** Readings kept in memory at most; beyond this the store is read instead. */
const MEMORY_LIMIT = 100_000;

export const deviceKey = (consortium: string, deviceId: string): string => `${consortium}\u0000${deviceId}`;

/** The device's entry, added empty when it has none yet. */
export function unwindowedDevice(readings: Unwindowed, consortium: string, deviceId: string): UnwindowedDevice {
  const key = deviceKey(consortium, deviceId);
  let device = readings.get(key);
  if (!device) {
    device = { consortium, deviceId, rows: [] };
    readings.set(key, device);
  }
  return device;
}

/** The fields kept of a stored or inserted row. */
export const unwindowedReading = (r: UnwindowedReading): UnwindowedReading => ({
  seq: r.seq,
  observedAt: r.observedAt,
  receivedAt: r.receivedAt,
  gapFrom: r.gapFrom,
  body: r.body,
  digest: r.digest,
});

export class UnwindowedMemory {
  /** null: not usable; the store must be read. */
  #readings: Unwindowed | null = null;
  #count = 0;

  get current(): Unwindowed | null {
    return this.#readings;
  }

  forget(): void {
    this.#readings = null;
    this.#count = 0;
  }

  /** Starts collecting what commits from now on, while the store is read. */
  collect(): Unwindowed {
    const collecting: Unwindowed = new Map();
    this.#readings = collecting;
    this.#count = 0;
    return collecting;
  }

  /** What was read from the store, followed by what committed meanwhile (a device's readings commit in seq order). */
  adopt(collecting: Unwindowed, loaded: Unwindowed, loadedCount: number): void {
    if (this.#readings !== collecting) return;
    let count = loadedCount;
    for (const [key, collected] of collecting) {
      const device = loaded.get(key) ?? { consortium: collected.consortium, deviceId: collected.deviceId, rows: [] };
      loaded.set(key, device);
      const lastLoaded = device.rows.length > 0 ? device.rows[device.rows.length - 1]!.seq : 0;
      for (const r of collected.rows) {
        if (r.seq <= lastLoaded) continue;
        device.rows.push(r);
        count += 1;
      }
    }
    this.#readings = loaded;
    this.#count = count;
  }

  /** Readings that just committed. */
  remember(rows: readonly (UnwindowedReading & { consortiumId: string; deviceId: string })[]): void {
    const readings = this.#readings;
    if (!readings) return;
    for (const r of rows) unwindowedDevice(readings, r.consortiumId, r.deviceId).rows.push(unwindowedReading(r));
    this.#count += rows.length;
    if (this.#count > MEMORY_LIMIT) this.forget();
  }

  /** Readings first..last of a device are in a window record now (if `readings` is still the memory). */
  windowed(readings: Unwindowed, consortium: string, deviceId: string, first: number, last: number): void {
    if (readings !== this.#readings) return;
    const key = deviceKey(consortium, deviceId);
    const device = readings.get(key);
    if (!device) return;
    const before = device.rows.length;
    // Usually the oldest readings: cut the prefix; otherwise keep the rest in order.
    let n = 0;
    while (n < device.rows.length && device.rows[n]!.seq >= first && device.rows[n]!.seq <= last) n += 1;
    if (n > 0 && (n === device.rows.length || device.rows[n]!.seq > last)) device.rows.splice(0, n);
    else device.rows = device.rows.filter((r) => r.seq < first || r.seq > last);
    this.#count -= before - device.rows.length;
    if (device.rows.length === 0) readings.delete(key);
  }
}
