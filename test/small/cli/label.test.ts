import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { labelUrl, renderLabel } from '../../../src/transport/cli/label-command.js';

// CommonJS packages read through require: jsqr decodes, pngjs (qrcode's own PNG codec) reads pixels.
const require = createRequire(import.meta.url);
const jsQR = require('jsqr') as (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const { PNG } = require('pngjs') as { PNG: { sync: { read(png: Buffer): { width: number; height: number; data: Buffer } } } };

describe('provenant label', () => {
  it('points the QR code at the item\'s Digital Link on the given resolver', () => {
    expect(labelUrl('urn:epc:id:sgtin:5098765.033333.MINCE-A-1', 'http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000/01/05098765333339/21/MINCE-A-1');
    expect(labelUrl('(01)05098765333339(10)LOT/1')).toBe('https://id.gs1.org/01/05098765333339/10/LOT%2F1');
    expect(() => labelUrl('UK123450600001')).toThrow(/no GS1 Digital Link/);
    expect(() => labelUrl('urn:epc:id:sgtin:5098765.033333.X', 'ftp://x')).toThrow(/--base/);
  });

  it('draws a PNG that scans back to the URL, and an SVG', async () => {
    const url = labelUrl('urn:epc:id:sgtin:5098765.033333.MINCE-A-1', 'http://127.0.0.1:4000');
    const png = PNG.sync.read((await renderLabel(url, 'png')) as Buffer);
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(url);
    expect(String(await renderLabel(url, 'svg'))).toMatch(/^<svg[^>]*viewBox/);
  });
});
