/**
 * `provenant label`: the QR code of an item's GS1 Digital Link URI, as printed on a pack. The URI
 * is the constrained form (GS1 Digital Link URI Syntax 1.2) on the given resolver host, which
 * answers it with the product passport (`GET /01/...`); the default host is GS1's own resolver.
 */
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import QRCode from 'qrcode';
import { GS1_DIGITAL_LINK_HOST, isGs1Identifier, parseIdentifier, toDigitalLink } from '../../core/identifiers/index.js';
import { CliUsageError } from './errors.js';

export type LabelFormat = 'svg' | 'png';

/** The Digital Link URI of a GS1 identifier given in any syntax (EPC URN, Digital Link, element string, plain key). */
export function labelUrl(identifier: string, base: string = GS1_DIGITAL_LINK_HOST): string {
  let id;
  try {
    id = parseIdentifier(identifier);
  } catch (err) {
    throw new CliUsageError(`--id ${identifier}: ${(err as Error).message}`);
  }
  if (!isGs1Identifier(id)) throw new CliUsageError(`--id ${identifier}: a ${id.kind} has no GS1 Digital Link; give a GTIN-based identifier (SGTIN, LGTIN), an SSCC or a GLN`);
  if (!/^https?:\/\/[^/?#\s]+\/?$/i.test(base)) throw new CliUsageError(`--base ${base}: expected an http(s) origin such as https://id.example.com`);
  return toDigitalLink(id, base);
}

/** The QR code (error correction M, quiet zone 4 modules) as SVG text or PNG bytes. */
export async function renderLabel(url: string, format: LabelFormat, scale = 8): Promise<string | Buffer> {
  const options = { errorCorrectionLevel: 'M' as const, margin: 4 };
  if (format === 'svg') return QRCode.toString(url, { ...options, type: 'svg' });
  return QRCode.toBuffer(url, { ...options, type: 'png', scale });
}

export function registerLabelCommand(program: Command): void {
  program
    .command('label')
    .description("print the QR code of an item's GS1 Digital Link URI (SVG or PNG)")
    .requiredOption('--id <identifier>', 'the item: EPC URN, Digital Link URI, element string or GTIN/SSCC')
    .addOption(new Option('--format <format>', 'image format').choices(['svg', 'png']).default('svg'))
    .option('--base <url>', 'resolver origin the QR code points at (this node, e.g. http://127.0.0.1:4000)', GS1_DIGITAL_LINK_HOST)
    .option('--out <file>', 'write the image here (default: standard output)')
    .action(async (opts: { id: string; format: LabelFormat; base: string; out?: string }) => {
      const url = labelUrl(opts.id, opts.base);
      const image = await renderLabel(url, opts.format);
      if (opts.out) {
        writeFileSync(opts.out, image);
        console.error(`wrote ${opts.out}: QR code of ${url}`);
      } else if (opts.format === 'png' && process.stdout.isTTY) {
        throw new CliUsageError('a PNG is binary: give --out FILE or redirect standard output');
      } else {
        process.stdout.write(image);
      }
    });
}
