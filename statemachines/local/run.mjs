// Runs one execution of a Step Functions definition with the aws-local-stepfunctions
// engine, for the local Step Functions endpoint (tools/local-stepfunctions). Task states
// invoke Lambda through the AWS SDK for JavaScript, so AWS_ENDPOINT_URL_LAMBDA (or
// AWS_ENDPOINT_URL) selects a local Lambda service.
//
//   node statemachines/local/run.mjs [--wait-ms N] [--retry-ms N]
//
// stdin, first line: one JSON object, the job:
//   {"definition": {...}, "input": <JSON>, "context": {...}}   run it
//   {"definition": {...}, "validate": true}                     only validate the definition
// later lines: `abort` stops the execution (as StopExecution does).
// stdout: one JSON object per line, each an execution event of the engine
// ({"type":"ExecutionStarted",...}, {"type":"StateEntered",...}, ..., then ExecutionSucceeded,
// ExecutionFailed or ExecutionAborted); for a validation, {"type":"Valid"} or
// {"type":"Invalid","Error":"InvalidDefinition","Cause":...}.
// Exit code: 0 the execution ended (whatever its outcome) or the definition is valid,
// 1 the definition is invalid, 2 the runner could not start.
import { createInterface } from 'node:readline';

// Node 20 lacks Promise.withResolvers, which the engine uses for Task timeouts.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

function fail(message) {
  process.stderr.write(`run.mjs: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { waitMs: undefined, retryMs: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = Number.parseInt(argv[i + 1], 10);
    if (!Number.isInteger(value) || value < 0) fail(`${flag} needs a whole number >= 0`);
    if (flag === '--wait-ms') args.waitMs = value;
    else if (flag === '--retry-ms') args.retryMs = value;
    else fail(`unknown argument ${flag}`);
  }
  return args;
}

function statesOf(definition, keep) {
  const names = [];
  const visit = (states) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (keep(state)) names.push(name);
      for (const branch of state.Branches ?? []) visit(branch.States);
      if (state.Iterator) visit(state.Iterator.States);
      if (state.ItemProcessor) visit(state.ItemProcessor.States);
    }
  };
  visit(definition.States);
  return names;
}

const print = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const args = parseArgs(process.argv.slice(2));
const { StateMachine } = await import('aws-local-stepfunctions');

let execution;
let started = false;
let abortRequested = false;

function run(job) {
  let machine;
  try {
    machine = new StateMachine(job.definition);
  } catch (e) {
    print({ type: 'Invalid', Error: 'InvalidDefinition', Cause: e.message });
    process.exit(1);
  }
  if (job.validate) {
    print({ type: 'Valid' });
    process.exit(0);
  }
  const overrides = {};
  if (args.waitMs !== undefined) {
    const waits = statesOf(job.definition, (s) => s.Type === 'Wait');
    overrides.waitTimeOverrides = Object.fromEntries(waits.map((n) => [n, args.waitMs]));
  }
  if (args.retryMs !== undefined) {
    const retried = statesOf(job.definition, (s) => Boolean(s.Retry));
    overrides.retryIntervalOverrides = Object.fromEntries(retried.map((n) => [n, args.retryMs]));
  }
  execution = machine.run(job.input ?? {}, { overrides, context: job.context, noThrowOnAbort: true });
  if (abortRequested) execution.abort();
  (async () => {
    for await (const event of execution.eventLogs) print(event);
    try {
      await execution.result;
    } catch {
      // The outcome is in the event log.
    }
    process.exit(0);
  })();
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!started) {
    started = true;
    let job;
    try {
      job = JSON.parse(line);
    } catch (e) {
      fail(`the job on stdin is not JSON: ${e.message}`);
    }
    run(job);
  } else if (line.trim() === 'abort') {
    abortRequested = true;
    if (execution) execution.abort();
  }
});
lines.on('close', () => {
  if (!started) fail('no job on stdin');
});
