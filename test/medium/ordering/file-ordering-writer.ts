/**
 * Child process for the crash test: appends numbered messages to a file-backed in-process log as
 * fast as it can and prints "ack <sequence> <text>" for each acknowledged append, until killed.
 */
import { openFileOrdering } from '../../../src/platform/ordering/file-ordering-log.js';

const [file, consortium] = process.argv.slice(2) as [string, string];
const ordering = await openFileOrdering(file);
let n = 0;
const writer = async (): Promise<void> => {
  for (;;) {
    const text = `msg-${process.pid}-${n++}`;
    const { sequence } = await ordering.append(consortium, new TextEncoder().encode(text));
    process.stdout.write(`ack ${sequence} ${text}\n`);
  }
};
await Promise.all([writer(), writer(), writer(), writer()]);
