// Writes the served contract (argv[2]) as web/openapi.json is kept (argv[3]): indented, so a
// change to the contract reads as a diff. The mock (scripts/mock.sh) serves that snapshot.
import { readFileSync, writeFileSync } from 'node:fs';

writeFileSync(process.argv[3], `${JSON.stringify(JSON.parse(readFileSync(process.argv[2], 'utf8')), null, 1)}\n`);
