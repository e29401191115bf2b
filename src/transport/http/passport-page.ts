/**
 * The public product passport as a small self-contained HTML page (no script, no external asset),
 * readable on a phone held over a pack: what a shopper reaches by scanning the GS1 Digital Link QR.
 */
import type { PublicPassport } from '../../services/passport.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5}
body{margin:0;background:#f6f7f4;color:#1b1f1a}
main{max-width:36rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.5rem;margin:.25rem 0 1rem}
.card{background:#fff;border:1px solid #cfd6cc;border-radius:.5rem;padding:1rem;margin-bottom:1rem}
dl{display:grid;grid-template-columns:minmax(8rem,auto) 1fr;gap:.5rem 1rem;margin:0}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
.yes{color:#0b5d1e;font-weight:700}.no{color:#9b1c1c;font-weight:700}
.muted{color:#4a5248;font-size:.9rem}
a{color:#0b4f8a}
`;

function yesNo(value: boolean, yes: string, no: string): string {
  return value ? `<span class="yes">Yes</span> — ${escapeHtml(yes)}` : `<span class="no">No</span> — ${escapeHtml(no)}`;
}

function list(values: readonly string[], empty: string): string {
  return values.length > 0 ? values.map(escapeHtml).join('<br>') : `<span class="muted">${escapeHtml(empty)}</span>`;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export function renderPassportPage(p: PublicPassport, links: { json: string; linkset: string }): string {
  const item = [p.lot ? `lot ${p.lot}` : '', p.serial ? `pack ${p.serial}` : ''].filter(Boolean).join(', ');
  return page(
    `Product passport – ${p.brandOwner}`,
    `<h1>Product passport</h1>
<p class="muted">${escapeHtml(p.brandOwner)} · GTIN ${escapeHtml(p.gtin)}${item ? ` · ${escapeHtml(item)}` : ''}</p>
<section class="card" aria-labelledby="origin"><h2 id="origin" style="font-size:1.1rem;margin-top:0">Where it comes from</h2><dl>
<dt>Origin farms' region</dt><dd>${list(p.originRegions, 'not published')}</dd>
<dt>Slaughtered</dt><dd>${list(p.slaughterDates, 'not recorded')}</dd>
<dt>Packed</dt><dd>${list(p.packingDates, 'not recorded')}</dd>
</dl></section>
<section class="card" aria-labelledby="checks"><h2 id="checks" style="font-size:1.1rem;margin-top:0">Checks</h2><dl>
<dt>Cold chain kept</dt><dd>${yesNo(p.coldChainKept, 'no temperature breach was recorded', 'a temperature breach was recorded on the way')}</dd>
<dt>Every step verified</dt><dd>${yesNo(p.everyStepVerified, 'every record behind this pack is signed and sealed', 'at least one record behind this pack did not verify')}</dd>
</dl></section>
<p class="muted">Checked ${escapeHtml(p.checkedAt.replace('T', ' ').slice(0, 16))} UTC against the signed records of the supply chain.
Published by the brand owner; no other organisation's data is shown.
Machine-readable: <a href="${escapeHtml(links.json)}">JSON</a>, <a href="${escapeHtml(links.linkset)}">linkset</a>.</p>`,
  );
}

export function renderNoPassportPage(message: string): string {
  return page('No product passport', `<h1>No product passport</h1><p>${escapeHtml(message)}</p>`);
}
