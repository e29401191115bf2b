/**
 * The web explorer in headless Chromium (Debian's chromium, driven by playwright-core) against a
 * real demo node: sign-in, search, the lineage graph, a tampered hop, the recall CSV, a QR code
 * scanned from an image file, the Digital Link resolver as a browser and as a JSON client, axe-core
 * with no serious violation, and screenshots at phone and desktop sizes under test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { earTagCheckDigit } from '../../../src/core/identifiers/livestock.js';
import { RECALL_CSV_HEADER } from '../../../src/services/lineage/queries.js';
import { labelUrl, renderLabel } from '../../../src/transport/cli/label-command.js';
import { verifyBundleFile } from '../../../src/transport/cli/bundle-commands.js';
import { WEB_DIST_DIR } from '../../../src/transport/http/explorer-routes.js';
import { openRawDatabase } from '../../helpers/raw-database.js';
import { startTestNode, type NodeProcess } from '../../helpers/test-node.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const CHROMIUM = process.env.PROVENANT_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO, 'test-artifacts');
const PACK = 'urn:epc:id:sgtin:5098765.033333.MINCE-A-1';
const PACK_DL = 'https://id.gs1.org/01/05098765333339/21/MINCE-A-1';
const CARCASS = 'https://id.gs1.org/01/05098765111111/21/C0002';
const ANIMAL = 'urn:provenant:animal:UK123450100101';
const CONTAINER = 'urn:provenant:container:CSQU3054383';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

describe('web explorer in Chromium', () => {
  let node: NodeProcess;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let fsaToken: string;

  const gql = async (query: string) => {
    const res = await fetch(`${node.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${fsaToken}` }, body: JSON.stringify({ query }) });
    return ((await res.json()) as { data: any }).data;
  };
  const traceHops = async (id: string) =>
    (await gql(`{ trace(consortium: "uk-red-meat", id: "${id}", direction: UPSTREAM) { ... on LineageTrace { hops { recordHash status edge { from to } } } } }`)).trace.hops as { recordHash: string; status: string; edge: { from: string; to: string } }[];

  const axeSeriousViolations = async () => {
    await page.addScriptTag({ path: path.join(REPO, 'node_modules/axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => {
      const result = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
    });
    return (violations as { impact: string }[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  };

  const screenshots = async (name: string) => {
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      await page.setViewportSize(viewport);
      await page.screenshot({ path: path.join(ARTIFACTS, `explorer-${name}-${size}.png`), fullPage: true });
    }
    await page.setViewportSize(DESKTOP);
  };

  const search = async (text: string) => {
    await page.getByLabel('Identifier, Digital Link URL or ear tag').fill(text);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: the explorer tests need Debian's chromium (apt-get install -y chromium); .ci/run installs it`);
    if (!existsSync(path.join(WEB_DIST_DIR, 'index.html'))) {
      const built = spawnSync(process.execPath, [path.join(REPO, 'web/build.mjs')], { cwd: REPO, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`could not build the explorer: ${built.stderr}`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    node = await startTestNode({ process: true, demo: true, timeoutMs: 240_000 });
    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'provenant-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      acceptsDownloads: true,
      viewport: DESKTOP,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    } as Parameters<typeof chromium.launchPersistentContext>[1]);
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    // Offline: the page may load nothing from any other origin.
    await context.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => route.abort());
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await node?.destroy();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  }, 60_000);

  it('lists the demo tokens only because the node runs with --demo, and signs in with one', async () => {
    await page.goto(`${node.url}/`);
    const demo = page.getByRole('button', { name: /Sign in as Food Standards Agency/ });
    await demo.waitFor();
    fsaToken = (await page.locator('li:has([data-org=fsa]) code.token').textContent())!.trim();
    expect(fsaToken).toMatch(/^pvn_/);
    expect(await axeSeriousViolations()).toEqual([]);
    await screenshots('sign-in');
    await demo.click();
    await page.getByRole('heading', { name: 'Look up an item' }).waitFor();
    await expect(page.getByText('Food Standards Agency', { exact: false }).first().isVisible()).resolves.toBe(true);
  });

  it('searches a pasted Digital Link and draws every hop of the verified trace', async () => {
    const hops = await traceHops(PACK_DL);
    expect(hops.length).toBeGreaterThan(10);
    await search(`${node.url}/01/05098765333339/21/MINCE-A-1`);
    const summary = page.getByTestId('hop-summary');
    await summary.waitFor();
    expect(await summary.getAttribute('data-hops')).toBe(String(hops.length));
    expect(await page.locator('svg.graph [data-hop]').count()).toBe(hops.length);
    // The demo's reefer breach marks the pack's hops as warnings; nothing failed.
    expect(await page.locator('svg.graph [data-verdict=failed]').count()).toBe(0);
    expect(await page.locator('svg.graph [data-verdict=warning]').count()).toBe(hops.filter((h) => h.status === 'WARNING').length);
    // Keyboard: focus a hop and open it.
    await page.locator('svg.graph [data-hop]').first().focus();
    await page.keyboard.press('Enter');
    const panel = page.getByTestId('hop-panel');
    await panel.locator('dl').waitFor();
    const text = await panel.innerText();
    for (const label of ['Who', 'When', 'Where', 'Signer', 'Block', 'Proofs']) expect(text).toContain(label);
    expect(text).toMatch(/role then: PROCESSOR/);
    expect(text).toMatch(/RFC 6962 inclusion/);
    await page.getByTestId('timeline').waitFor();
    await page.getByTestId('temperature-leg').first().waitFor();
    // The answer's proof bundle checks out offline, as the page says.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: /Download proof bundle/ }).click();
    const bundleFile = await (await download).path();
    const chainDb = await openRawDatabase(node);
    const genesis = (await chainDb.get<{ hash: string }>(`SELECT "hash" FROM "Block" WHERE "consortiumId" = 'uk-red-meat' AND "height" = 0`))!.hash;
    await chainDb.close();
    const checked = verifyBundleFile(bundleFile!, { genesis });
    expect(checked.lines.join('\n')).toMatch(/^OK:/m);
    expect(checked.exitCode).toBe(0);
    expect(await page.getByText('npx provenant verify-bundle').first().isVisible()).toBe(true);
    expect(await axeSeriousViolations()).toEqual([]);
    await screenshots('trace');
  });

  it('downloads the recall CSV with the API\'s rows', async () => {
    await page.goto(`${node.url}/#/recall?id=${encodeURIComponent(CARCASS)}`);
    await page.getByTestId('recall-table').waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: /Download CSV/ }).click();
    const file = await (await download).path();
    const lines = readFileSync(file!, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe(RECALL_CSV_HEADER.join(','));
    const api = (await gql(`{ recallCsv(consortium: "uk-red-meat", from: "${CARCASS}") { ... on RecallCsv { csv rowCount } } }`)).recallCsv;
    expect(lines.length - 1).toBe(api.rowCount);
    expect(lines.join('\r\n') + '\r\n').toBe(api.csv);
    expect(lines.some((l) => l.startsWith(`${PACK_DL},sgtin,`))).toBe(true);
    expect(await page.locator('[data-testid=recall-table] tbody tr').count()).toBe(api.rowCount);
    expect(await axeSeriousViolations()).toEqual([]);
    await screenshots('recall');
  });

  it('scans a demo pack\'s QR code from an image file into the search', async () => {
    const png = path.join(userDataDir, 'pack-label.png');
    writeFileSync(png, (await renderLabel(labelUrl(PACK, node.url), 'png')) as Buffer);
    await page.goto(`${node.url}/#/search`);
    await page.locator('#qr-file').setInputFiles(png);
    await page.waitForURL(/#\/trace\?id=/);
    expect(decodeURIComponent(page.url())).toContain(PACK_DL);
    await page.getByTestId('hop-summary').waitFor();
  });

  it('shows customs, inspector and chain status views without serious accessibility violations', async () => {
    for (const [route, ready, name] of [
      [`#/customs?id=${encodeURIComponent(CONTAINER)}`, 'hop-summary', 'customs'],
      [`#/inspector?id=${encodeURIComponent(ANIMAL)}`, 'findings', 'inspector'],
      ['#/chain', 'chain-status', 'chain'],
    ] as const) {
      await page.goto(`${node.url}/${route}`);
      await page.getByTestId(ready).waitFor();
      expect(await axeSeriousViolations(), name).toEqual([]);
      await screenshots(name);
    }
    expect(await page.getByTestId('chain-status').innerText()).toMatch(/Witnesses/);
  });

  it('resolves the Digital Link as a browser and as a JSON client, showing only what the brand owner publishes', async () => {
    const url = `${node.url}/01/05098765333339/21/MINCE-A-1`;
    await page.goto(url);
    await page.getByRole('heading', { name: 'Product passport' }).waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toContain('Vale Processors');
    expect(text).toMatch(/Cold chain kept\s*No/);
    expect(text).toMatch(/Every step verified\s*Yes/);
    expect(text).toMatch(/CPH county 12/);
    for (const secret of ['Highfield', 'Meadow', 'Northern Abattoir', 'Swift', 'UK123450', '12/345/6789', 'liver fluke']) expect(text).not.toContain(secret);
    expect(await axeSeriousViolations()).toEqual([]);
    await screenshots('passport');

    const json = await fetch(url, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toMatchObject({ identifier: PACK_DL, brandOwner: 'Vale Processors', coldChainKept: false, everyStepVerified: true, slaughterDates: [expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/)] });
    const linkset = await fetch(`${url}?linkType=all`);
    expect(linkset.headers.get('content-type')).toMatch(/^application\/linkset\+json/);
    expect(((await linkset.json()) as any).linkset[0]).toMatchObject({ anchor: url, 'https://gs1.org/voc/pip': [expect.objectContaining({ type: 'text/html' })] });
  });

  it('posts a form through POST /capture, signed by the node with the signed-in organisation key, and shows the outcome', async () => {
    await page.goto(`${node.url}/#/forms`);
    await page.locator('#form-kind').selectOption({ label: 'Inspection finding' });
    await page.getByLabel('Carcasses or animals inspected').fill('urn:epc:id:sgtin:5098765.033333.MINCE-A-1');
    await page.getByLabel('Outcome').selectOption('conformant');
    await page.getByLabel('Finding', { exact: true }).fill('no finding');
    await page.getByLabel('When').fill('2026-03-01T08:00');
    await page.getByRole('button', { name: 'Build event' }).click();
    await page.getByRole('button', { name: 'Post event' }).click();
    const outcome = page.getByTestId('post-outcome');
    await outcome.filter({ hasText: /captured/i }).waitFor();
    // Signed in as the regulator: the node signed with the FSA's key, and the role table refuses a post-mortem finding from it.
    expect(await outcome.innerText()).toMatch(/^Not captured: .*ABATTOIR/);
  });

  it('posts a calf\'s birth through the form as a farm, then finds it in that animal\'s history', async () => {
    const herd = '123450';
    const animalNumber = '99001';
    const calf = `UK ${herd} ${earTagCheckDigit(herd, animalNumber)}${animalNumber}`;
    const wrongDigit = `UK ${herd} ${(earTagCheckDigit(herd, animalNumber) % 7) + 1}${animalNumber}`;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: /Sign in as Highfield Farm/ }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(`${node.url}/#/forms`);
    await page.locator('#form-kind').selectOption({ label: 'Birth and tagging' });
    const tag = page.getByLabel('Ear tag of the calf');
    // The check digit is checked as it is typed: the field at fault says so, and nothing is built.
    await tag.fill(wrongDigit);
    await expect(tag.getAttribute('aria-invalid')).resolves.toBe('true');
    await tag.fill(calf);
    await page.locator('#field-animal-msg').filter({ hasText: 'valid' }).waitFor();
    await page.getByLabel('Holding (CPH)').fill('12/345/6789');
    await page.getByLabel('When').fill('2026-03-02T06:30');
    await page.getByRole('button', { name: 'Build event' }).click();
    await page.getByRole('button', { name: 'Post event' }).click();
    const outcome = page.getByTestId('post-outcome');
    await outcome.filter({ hasText: /captured/i }).waitFor();
    expect(await outcome.innerText()).toMatch(/^Captured: /);

    const compact = calf.replace(/\s/g, '');
    await page.goto(`${node.url}/#/inspector?id=${encodeURIComponent(`urn:provenant:animal:${compact}`)}`);
    const birth = page.locator('section[aria-labelledby="birth-h"]');
    await birth.filter({ hasText: /birth by highfield-farm/ }).waitFor();
    expect(await birth.innerText()).toMatch(/Holding: .*12\/?345\/?6789/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: /Sign in as Food Standards Agency/ }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  });

  it('shows a hop whose record row was edited in the SQLite file as failed', async () => {
    const hops = await traceHops(PACK_DL);
    const target = hops.find((h) => h.edge.from === ANIMAL)!;
    const db = await openRawDatabase(node);
    try {
      const { body } = (await db.get<{ body: string }>('SELECT "body" FROM "LedgerRecord" WHERE "hash" = ?', target.recordHash))!;
      const eventTime = /"eventTime":"([^"]+)"/.exec(body)![1]!;
      const edited = body.replace(`"eventTime":"${eventTime}"`, `"eventTime":"${eventTime.replace(/^(\d{4})/, (y) => String(Number(y) - 1))}"`);
      expect(edited).not.toBe(body);
      await db.run('UPDATE "LedgerRecord" SET "body" = ? WHERE "hash" = ?', edited, target.recordHash);
    } finally {
      await db.close();
    }
    const failedInApi = (await traceHops(PACK_DL)).filter((h) => h.status === 'FAILED');
    expect(failedInApi.map((h) => h.recordHash)).toContain(target.recordHash);
    await page.goto(`${node.url}/#/trace?id=${encodeURIComponent(PACK_DL)}`);
    await page.getByTestId('hop-summary').waitFor();
    const failed = page.locator('svg.graph [data-verdict=failed]');
    expect(await failed.count()).toBe(failedInApi.length);
    expect(await page.getByTestId('hop-summary').innerText()).toMatch(/Failed/);
    await failed.first().focus();
    await page.keyboard.press('Enter');
    expect(await page.getByTestId('hop-panel').innerText()).toMatch(/Failed/);
    await screenshots('tampered');
    const passport = (await (await fetch(`${node.url}/01/05098765333339/21/MINCE-A-1`, { headers: { accept: 'application/json' } })).json()) as { everyStepVerified: boolean };
    expect(passport.everyStepVerified).toBe(false);
  });
});
