/**
 * `provenant device-credential`: the MQTT username and password a device presents to the node's
 * embedded broker (docs/mqtt.md, "Device authentication and topic permissions"), signed with the
 * device's own key file; for Mosquitto's password file, a long-lived one (--ttl).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_CREDENTIAL_TTL_S, deviceMqttCredentials, MAX_CREDENTIAL_LIFETIME_S } from '../../core/readings/mqtt-access.js';
import { isDeviceId } from '../../core/ledger/membership.js';
import { isConsortiumId } from '../../core/ledger/record.js';
import { readCliKeyFile } from './key-file.js';

/** Longest --ttl: ten years, far beyond any broker's use, and inside the 12-digit expiresAt. */
const MAX_TTL_S = 10 * 366 * 24 * 3600;

function ttlSeconds(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > MAX_TTL_S) throw new InvalidArgumentError(`expected whole seconds from 1 to ${MAX_TTL_S}`);
  return Number(value);
}

function consortiumId(value: string): string {
  if (!isConsortiumId(value)) throw new InvalidArgumentError('not a consortium id');
  return value;
}

function deviceId(value: string): string {
  if (!isDeviceId(value)) throw new InvalidArgumentError('not a device id (as registered by device.register)');
  return value;
}

export function registerDeviceCommands(program: Command): void {
  program
    .command('device-credential')
    .description("print a device's MQTT username and password, signed with its key file (docs/mqtt.md)")
    .requiredOption('--key <file>', "the device's private key file (from keygen; its public key is the registered one)")
    .requiredOption('--consortium <id>', 'consortium id', consortiumId)
    .requiredOption('--device <id>', 'device id, exactly as registered', deviceId)
    .option('--ttl <seconds>', `validity from now (the embedded broker accepts at most ${MAX_CREDENTIAL_LIFETIME_S})`, ttlSeconds, DEFAULT_CREDENTIAL_TTL_S)
    .option('--json', 'print { username, password, expiresAt } as JSON')
    .action((opts: { key: string; consortium: string; device: string; ttl: number; json?: boolean }) => {
      const { keyPair } = readCliKeyFile(opts.key);
      const expiresAt = Math.floor(Date.now() / 1000) + opts.ttl;
      const credential = deviceMqttCredentials({ consortium: opts.consortium, deviceId: opts.device, key: keyPair, expiresAt });
      if (opts.json) console.log(JSON.stringify(credential, null, 2));
      else console.log(`username: ${credential.username}\npassword: ${credential.password}\nexpiresAt: ${credential.expiresAt} (${new Date(credential.expiresAt * 1000).toISOString()})`);
      if (opts.ttl > MAX_CREDENTIAL_LIFETIME_S) console.error(`note: valid for more than ${MAX_CREDENTIAL_LIFETIME_S} s: the embedded broker refuses it (use it for a Mosquitto password file)`);
    });
}
