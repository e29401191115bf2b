/** `provenant`: the operator and member CLI's process entry (the commands: program.ts). */
import { runCli } from './program.js';

const outcome = await runCli(process.argv);
// A command that finished keeps the process until its handles close (`start` runs until stopped).
if (outcome.error !== undefined) process.exit(outcome.exitCode);
