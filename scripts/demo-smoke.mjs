#!/usr/bin/env node
// Demo smoke test, as a new user would run it: `npm run demo` on a fresh data dir and free ports,
// wait for /health, run the trace query the demo prints with a token it prints, and check the
// answer carries a verdict. Then start the demo again on the same data dir: it must print fresh
// tokens that work. Every process started here is stopped before exit.
// Usage: node scripts/demo-smoke.mjs   (from the repository root; exit 0 when everything held)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const STORY_TIMEOUT_MS = Number(process.env.DEMO_SMOKE_TIMEOUT_MS ?? 240_000);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'provenant-demo-smoke-'));
const children = new Set();

function startDemo() {
  const child = spawn('npm', ['run', '-s', 'demo', '--', '--port', '0'], {
    env: { ...process.env, PROVENANT_DATA_DIR: dataDir, MQTT_PORT: '0', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const lines = [];
  const waiters = [];
  const onLine = (line) => {
    lines.push(line);
    process.stdout.write(`  | ${line}\n`);
    for (const w of [...waiters]) {
      if (!w.test(line)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  };
  let buffered = '';
  const feed = (chunk) => {
    buffered += chunk;
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
  };
  child.stdout.setEncoding('utf8').on('data', feed);
  child.stderr.setEncoding('utf8').on('data', feed);
  const waitFor = (pattern, what) =>
    new Promise((resolve, reject) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`timed out after ${STORY_TIMEOUT_MS / 1000} s waiting for ${what}`)), STORY_TIMEOUT_MS);
      waiters.push({ test: (l) => pattern.test(l), resolve: (l) => (clearTimeout(timer), resolve(l)) });
      child.once('exit', (code) => reject(new Error(`the demo exited (code ${code}) before ${what}`)));
    });
  return { child, lines, waitFor };
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitForHealth(base) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base}/health did not answer within 30 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function graphql(base, token, query) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`GraphQL answered HTTP ${res.status}`);
  return res.json();
}

async function run(label, expectStory) {
  console.log(`${label}: npm run demo on ${dataDir}`);
  const demo = startDemo();
  try {
    const nodeLine = await demo.waitFor(/Provenant node on http:\/\/\S+/, 'the node to listen');
    const base = /Provenant node on (http:\/\/\S+)/.exec(nodeLine)[1];
    await waitForHealth(base);
    const tokenLine = await demo.waitFor(/^\s*token fsa\s+pvn_\S+/, 'the printed fsa token');
    const token = /(pvn_\S+)/.exec(tokenLine)[1];
    const traceLine = await demo.waitFor(/^\s*trace it:\s+\{/, 'the printed trace query');
    const query = traceLine.replace(/^\s*trace it:\s+/, '');
    const answer = await graphql(base, token, query);
    const trace = answer.data?.trace;
    if (!trace || trace.__typename !== 'LineageTrace' || typeof trace.verdict !== 'string') {
      throw new Error(`the trace query gave no verdict: ${JSON.stringify(answer).slice(0, 400)}`);
    }
    if (expectStory && !demo.lines.some((l) => /demo story sealed in/.test(l))) throw new Error('the demo story was not sealed');
    console.log(`${label}: trace verdict ${trace.verdict} over ${trace.hops.length} hops`);
  } finally {
    await stop(demo.child);
  }
}

let failed = false;
try {
  await run('first run', true);
  await run('second run, same data dir', false);
  console.log('demo smoke test: OK');
} catch (err) {
  failed = true;
  console.error(`demo smoke test: FAILED: ${err.message}`);
} finally {
  for (const child of children) await stop(child);
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
