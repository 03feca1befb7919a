// Decodes the cases in a JSON file ([{schema, b64, want}]) with the UI's
// avro.js and compares with what Debian's python3-avro encoded.  Prints
// "ok N" or the first mismatch (exit 1).  Usage: node avro_check.mjs FILE
import { readFileSync } from 'node:fs';
import { parseSchema, decodeAvro } from '../../../ui/static/avro.js';

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let n = 0;
for (const c of cases) {
  const bytes = Uint8Array.from(Buffer.from(c.b64, 'base64'));
  let got;
  try {
    got = decodeAvro(bytes, parseSchema(c.schema));
  } catch (e) {
    got = 'ERROR ' + e.message;
  }
  if (c.error) {
    if (!got.startsWith('ERROR')) { console.log(`case ${n}: expected an error, got ${got}`); process.exit(1); }
  } else {
    const text = got.replace(/^\/\/.*\n/, '');
    const same = !got.startsWith('ERROR') && JSON.stringify(JSON.parse(text)) === JSON.stringify(c.want);
    if (!same) { console.log(`case ${n}: got ${got}\nwant ${JSON.stringify(c.want)}`); process.exit(1); }
    if (c.framed && !got.startsWith('// Confluent framing, schema id 42')) {
      console.log(`case ${n}: framing not reported`); process.exit(1);
    }
  }
  n++;
}
console.log('ok ' + n);
