/**
 * The CLI as a user meets it: --version, exit codes (0 ok, 1 refused or a check failed, 2 usage or
 * configuration), errors that name what they tried, and no file created by a command that failed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'provenant-cli-'));

function cli(args: string[], env: Record<string, string> = {}, cwd = scratch) {
  return run(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), path.join(repoRoot, 'src/transport/cli/main.ts'), ...args], {
    cwd,
    env: { ...process.env, DATABASE_URL: '', PROVENANT_DATA_DIR: '', ...env },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('provenant CLI habits', () => {
  it('prints its version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const out = await cli(['--version']);
    expect(out).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('exits 2 for an unknown command or a missing option', async () => {
    expect((await cli(['no-such-command'])).code).toBe(2);
    const missing = await cli(['verify']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--consortium/);
  });

  it('verify on a data dir with no database says so, exits 2 and creates nothing', async () => {
    const dataDir = path.join(scratch, 'empty');
    const out = await cli(['verify', '--consortium', 'uk-red-meat', '--data', dataDir]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`no database at ${path.join(dataDir, 'provenant.db')}`);
    expect(out.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a DATABASE_URL it cannot serve with exit 2, and writes no file named after it', async () => {
    const cwd = mkdtempSync(path.join(scratch, 'pg-'));
    const out = await cli(['start', '--data', path.join(cwd, 'data')], { DATABASE_URL: 'mysql://u:p@127.0.0.1:1/provenant' }, cwd);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/DATABASE_URL_UNSUPPORTED: DATABASE_URL scheme "mysql:"/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('submit to a node that does not answer names the URL and exits 2', async () => {
    const doc = path.join(scratch, 'envelope.json');
    writeFileSync(doc, JSON.stringify({ consortium: 'c', signer: 's', signedAt: '2026-01-01T00:00:00Z', signatures: [], document: { type: 'EPCISDocument' } }));
    const out = await cli(['submit', doc, '--url', 'http://127.0.0.1:9']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('http://127.0.0.1:9/epcis/capture');
  });

  it('a file that cannot be read is a usage error', async () => {
    const out = await cli(['event-hash', path.join(scratch, 'missing.json')]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/UNREADABLE_FILE/);
  });
});
