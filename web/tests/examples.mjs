// Every operation of the served contract carries examples, and each one is valid against its own
// schema (JSON Schema 2020-12, as OpenAPI 3.1 uses; formats checked): the request body's, when the
// operation takes one, and the success answer's. Prints one JSON line; exits 1 on any finding.
//
// Usage: node tests/examples.mjs openapi.json
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The whole document is one schema resource, so "#/components/schemas/X" resolves inside it.
ajv.addSchema(doc, 'contract');

const pointer = (...parts) => parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const findings = [];
let checked = 0;
let operations = 0;

function check(where, ref, schema) {
  if (!schema) return findings.push(`${where}: no schema`);
  // An example sits beside a $ref or inside the schema it illustrates.
  const examples = schema.examples;
  if (!Array.isArray(examples) || examples.length === 0) return findings.push(`${where}: no examples`);
  const validate = ajv.getSchema(`contract#/${ref}`);
  for (const [i, example] of examples.entries()) {
    checked += 1;
    if (!validate(example)) findings.push(`${where} example ${i}: ${ajv.errorsText(validate.errors)}`);
  }
}

for (const [path, item] of Object.entries(doc.paths)) {
  for (const verb of ['get', 'put', 'post', 'delete', 'patch']) {
    const op = item[verb];
    if (!op) continue;
    operations += 1;
    const name = `${verb.toUpperCase()} ${path}`;
    for (const [type, media] of Object.entries(op.requestBody?.content || {})) {
      check(`${name} request ${type}`, pointer('paths', path, verb, 'requestBody', 'content', type, 'schema'), media.schema);
    }
    const ok = Object.keys(op.responses || {}).filter((s) => s.startsWith('2'));
    if (ok.length === 0) findings.push(`${name}: no success answer`);
    for (const status of ok) {
      const content = op.responses[status].content || {};
      for (const [type, media] of Object.entries(content)) {
        check(`${name} ${status} ${type}`, pointer('paths', path, verb, 'responses', status, 'content', type, 'schema'), media.schema);
      }
    }
  }
}
console.log(JSON.stringify({ operations, examples_checked: checked, findings }));
process.exit(findings.length ? 1 : 0);
