/** Work sized by bytes, work under a deadline, and the JSON size bound they rely on. */
import { afterAll, describe, expect, it } from 'vitest';
import { jsonBytesUpTo } from '../../../src/platform/workers/json-bytes.js';
import { captureValidateTask, VALIDATE_WARM_UP_DOCUMENT } from '../../../src/platform/workers/pool-tasks.js';
import { WorkDeadlineError, WorkerPool } from '../../../src/platform/workers/worker-pool.js';
import { createEpcisValidator } from '../../../src/platform/epcis-schemas.js';

function documentWithEpcs(count: number, duplicateAt?: [number, number]): Record<string, unknown> {
  const epcList = Array.from({ length: count }, (_, i) => `urn:epc:id:sgtin:0614141.107346.${i}`);
  if (duplicateAt) epcList[duplicateAt[1]] = epcList[duplicateAt[0]]!;
  const [first] = VALIDATE_WARM_UP_DOCUMENT.epcisBody.eventList;
  return { ...VALIDATE_WARM_UP_DOCUMENT, epcisBody: { eventList: [{ ...first, epcList }] } };
}

describe('jsonBytesUpTo', () => {
  it('is the JSON length of ASCII values, and stops at the cap', () => {
    for (const value of [{}, [], [1, 2, 3], { a: 1, b: [true, null, 'x'] }, 'abc', { k: {}, l: [[]] }, { a: [1.5, { b: -2 }], c: 'dd' }]) {
      expect(jsonBytesUpTo(value, 1e9)).toBe(JSON.stringify(value).length);
      expect(jsonBytesUpTo(value, 3)).toBe(Math.min(3, JSON.stringify(value).length));
    }
  });
  it('answers for a long list without walking it', () => {
    const list = Array.from({ length: 1_000_000 }, () => 'x');
    const started = performance.now();
    expect(jsonBytesUpTo({ list }, 64 * 1024)).toBe(64 * 1024);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('uniqueItems over an EPC list', () => {
  const validator = createEpcisValidator({ withRules: true });
  it('takes linear time: 60,000 EPCs well under a second', () => {
    validator.validateDocument(documentWithEpcs(10));
    const started = performance.now();
    expect(validator.validateDocument(documentWithEpcs(60_000))).toEqual({ ok: true });
    expect(performance.now() - started).toBeLessThan(1000);
  });
  it("names the pair Ajv's pairwise check names: the last repeat and its nearest earlier copy", () => {
    const doc = documentWithEpcs(6);
    ((doc['epcisBody'] as any).eventList[0].epcList as string[]).splice(0, 6, 'urn:a:1', 'urn:a:2', 'urn:a:1', 'urn:a:2', 'urn:a:3', 'urn:a:1');
    expect(validator.validateDocument(doc)).toEqual({
      ok: false,
      errors: [{ path: 'epcisBody.eventList[0].epcList', message: 'must NOT have duplicate items (items ## 2 and 5 are identical)' }],
    });
  });
});

describe('worker pool: bytes and deadlines', () => {
  const pool = new WorkerPool({ workers: 1, minBatch: 16, minBytes: 4096, warmTasks: [captureValidateTask.name] });
  afterAll(() => pool.close());

  it('sends one large document to a worker, and keeps a small one here', async () => {
    await pool.warm();
    expect(await pool.runBounded(captureValidateTask, { document: documentWithEpcs(5), xsdChecked: false }, 5000)).toEqual({ ok: true });
    expect(pool.lastModes.get(captureValidateTask.name)).toBe('main');
    const large = documentWithEpcs(2000, [3, 1500]);
    expect(await pool.runBounded(captureValidateTask, { document: large, xsdChecked: false }, 5000)).toEqual(captureValidateTask.run({ document: large, xsdChecked: false }));
    expect(pool.lastModes.get(captureValidateTask.name)).toBe('pool');
  });

  it('ends a worker past its deadline with WorkDeadlineError, and a fresh one takes the next work', async () => {
    const large = { document: documentWithEpcs(20_000), xsdChecked: false };
    const err = await pool.runBounded(captureValidateTask, large, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkDeadlineError);
    expect(err).toMatchObject({ code: 'WORK_DEADLINE_EXCEEDED', details: { deadlineMs: 1, task: captureValidateTask.name } });
    expect(await pool.runBounded(captureValidateTask, large, 30_000)).toEqual({ ok: true });
    expect(pool.lastModes.get(captureValidateTask.name)).toBe('pool');
    expect(pool.taskRuns.get(captureValidateTask.name)).toBe(4);
  }, 60_000);
});
