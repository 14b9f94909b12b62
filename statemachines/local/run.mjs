// Runs a Step Functions definition (the same ASL file template.yaml deploys) with the
// aws-local-stepfunctions engine. Task states invoke Lambda through the AWS SDK for
// JavaScript, so AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL) selects a local Lambda service.
//
//   node statemachines/local/run.mjs --definition FILE [--substitutions JSON]
//        [--wait-ms N] [--retry-ms N] < input.json
//
// stdout: one JSON object per line, each an execution event of the engine
// ({"type":"StateEntered",...}, ..., then ExecutionSucceeded or ExecutionFailed).
// Exit code: 0 succeeded, 1 the execution failed, 2 the runner could not start it.
import { readFileSync } from 'node:fs';

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
  const args = { substitutions: {}, waitMs: undefined, retryMs: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) fail(`${flag} needs a value`);
    i += 1;
    switch (flag) {
      case '--definition':
        args.definition = value;
        break;
      case '--substitutions':
        try {
          args.substitutions = JSON.parse(value);
        } catch (e) {
          fail(`--substitutions is not JSON: ${e.message}`);
        }
        break;
      case '--wait-ms':
        args.waitMs = Number.parseInt(value, 10);
        if (!Number.isInteger(args.waitMs) || args.waitMs < 0) fail('--wait-ms must be a whole number >= 0');
        break;
      case '--retry-ms':
        args.retryMs = Number.parseInt(value, 10);
        if (!Number.isInteger(args.retryMs) || args.retryMs < 0) fail('--retry-ms must be a whole number >= 0');
        break;
      default:
        fail(`unknown argument ${flag}`);
    }
  }
  if (!args.definition) fail('--definition is required');
  return args;
}

// Applies DefinitionSubstitutions the way CloudFormation does: ${Name} -> value.
function substitute(text, substitutions) {
  const replaced = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name) => {
    if (!(name in substitutions)) fail(`no substitution given for \${${name}}`);
    return String(substitutions[name]);
  });
  return JSON.parse(replaced);
}

function statesOfType(definition, type) {
  const names = [];
  const visit = (states) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (state.Type === type) names.push(name);
      if (state.Retry && type === 'Retry') names.push(name);
      for (const branch of state.Branches ?? []) visit(branch.States);
      if (state.Iterator) visit(state.Iterator.States);
      if (state.ItemProcessor) visit(state.ItemProcessor.States);
    }
  };
  visit(definition.States);
  return names;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const args = parseArgs(process.argv.slice(2));
const { StateMachine } = await import('aws-local-stepfunctions');

let definition;
try {
  definition = substitute(readFileSync(args.definition, 'utf8'), args.substitutions);
} catch (e) {
  fail(`cannot read ${args.definition}: ${e.message}`);
}
let input;
try {
  const raw = await readStdin();
  input = raw.trim() === '' ? {} : JSON.parse(raw);
} catch (e) {
  fail(`input on stdin is not JSON: ${e.message}`);
}

const overrides = {};
if (args.waitMs !== undefined) {
  overrides.waitTimeOverrides = Object.fromEntries(statesOfType(definition, 'Wait').map((n) => [n, args.waitMs]));
}
if (args.retryMs !== undefined) {
  overrides.retryIntervalOverrides = Object.fromEntries(statesOfType(definition, 'Retry').map((n) => [n, args.retryMs]));
}

let machine;
try {
  machine = new StateMachine(definition);
} catch (e) {
  fail(`invalid definition: ${e.message}`);
}

const execution = machine.run(input, { overrides });
const print = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
let failed = false;
const logs = (async () => {
  for await (const event of execution.eventLogs) {
    if (event.type === 'ExecutionFailed') failed = true;
    print(event);
  }
})();
try {
  await execution.result;
} catch {
  failed = true;
}
await logs;
process.exit(failed ? 1 : 0);
