/** Webhook destinations of query subscriptions: scheme, credentials, and special-purpose addresses (RFC 6890). */
import { describe, expect, it } from 'vitest';
import { STRICT_WEBHOOK_POLICY, checkWebhookAddress, checkWebhookUrl, specialAddressRange } from '../../../src/core/epcis/query/webhook-destination.js';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code: string }).code, reason: (err as { details: { reason: string } }).details.reason };
  }
  return null;
};

describe('checkWebhookUrl', () => {
  it('https only unless http is allowed; never credentials', () => {
    expect(checkWebhookUrl(new URL('https://hooks.example.com/x'), STRICT_WEBHOOK_POLICY)).toEqual({ host: 'hooks.example.com' });
    expect(checkWebhookUrl(new URL('https://[2606:4700::1]:8443/x'), STRICT_WEBHOOK_POLICY)).toEqual({ host: '2606:4700::1' });
    expect(refusal(() => checkWebhookUrl(new URL('http://hooks.example.com/x'), STRICT_WEBHOOK_POLICY))).toEqual({ code: 'WEBHOOK_DESTINATION', reason: 'scheme' });
    expect(checkWebhookUrl(new URL('http://hooks.example.com/x'), { allowHttp: true, allowPrivateAddresses: false }).host).toBe('hooks.example.com');
    expect(refusal(() => checkWebhookUrl(new URL('ftp://hooks.example.com/x'), { allowHttp: true, allowPrivateAddresses: true }))).toEqual({ code: 'WEBHOOK_DESTINATION', reason: 'scheme' });
    for (const dest of ['https://user:pw@hooks.example.com/x', 'https://user@hooks.example.com/x', 'https://:pw@hooks.example.com/x']) {
      expect(refusal(() => checkWebhookUrl(new URL(dest), { allowHttp: true, allowPrivateAddresses: true })), dest).toEqual({ code: 'WEBHOOK_DESTINATION', reason: 'credentials' });
    }
  });
});

describe('specialAddressRange', () => {
  it('names loopback, private, link-local and the other special ranges, IPv4 and IPv6', () => {
    const cases: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.255.0.9': 'loopback',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '192.168.1.1': 'private',
      '169.254.169.254': 'link-local',
      '100.64.0.1': 'shared address space',
      '0.0.0.0': 'this network',
      '224.0.0.1': 'multicast',
      '255.255.255.255': 'reserved',
      '192.0.2.10': 'documentation',
      '::1': 'loopback',
      '::': 'unspecified',
      'fe80::1': 'link-local',
      'fe80::1%eth0': 'link-local',
      'fd12:3456::1': 'unique local',
      'fc00::1': 'unique local',
      'ff02::1': 'multicast',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:10.0.0.1': 'private',
      '64:ff9b::a9fe:a9fe': 'link-local',
      '2001:db8::1': 'documentation',
      'localhost': 'not an IP address',
      '1.2.3': 'not an IP address',
      '1::2::3': 'not an IP address',
    };
    for (const [address, range] of Object.entries(cases)) expect(specialAddressRange(address), address).toBe(range);
  });

  it('public addresses are in no range', () => {
    for (const address of ['8.8.8.8', '172.15.255.255', '172.32.0.1', '100.128.0.1', '169.253.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001:80b::200e']) {
      expect(specialAddressRange(address), address).toBeNull();
    }
  });
});

describe('checkWebhookAddress', () => {
  it("refuses special ranges and the node's own addresses unless private destinations are allowed", () => {
    expect(refusal(() => checkWebhookAddress('127.0.0.1', STRICT_WEBHOOK_POLICY, new Set()))).toEqual({ code: 'WEBHOOK_DESTINATION', reason: 'address' });
    expect(refusal(() => checkWebhookAddress('8.8.8.8', STRICT_WEBHOOK_POLICY, new Set()))).toBeNull();
    expect(refusal(() => checkWebhookAddress('8.8.8.8', STRICT_WEBHOOK_POLICY, new Set(['8.8.8.8'])))).toEqual({ code: 'WEBHOOK_DESTINATION', reason: 'address' });
    expect(refusal(() => checkWebhookAddress('127.0.0.1', { allowHttp: false, allowPrivateAddresses: true }, new Set(['127.0.0.1'])))).toBeNull();
  });
});
