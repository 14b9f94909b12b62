// Validates every Step Functions definition in statemachines/ with the ASL engine's own
// validator (state types, transitions, JSONPaths, Task resource ARNs). DefinitionSubstitutions
// (${Name}) are replaced by a placeholder Lambda ARN first, as CloudFormation would.
//   node statemachines/local/validate.mjs [FILE...]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';

const dir = new URL('..', import.meta.url).pathname;
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(dir).filter((f) => f.endsWith('.asl.json')).map((f) => join(dir, f));
let bad = 0;
for (const file of files) {
  try {
    const text = readFileSync(file, 'utf8').replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name) =>
      `arn:aws:lambda:us-east-1:123456789012:function:${name}`);
    new StateMachine(JSON.parse(text));
    console.log(`ok      ${file}`);
  } catch (e) {
    bad += 1;
    console.log(`INVALID ${file}: ${e.message}`);
  }
}
console.log(`${files.length} definition(s) validated by aws-local-stepfunctions, ${bad} invalid`);
process.exit(bad ? 1 : 0);
