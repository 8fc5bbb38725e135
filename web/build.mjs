// Builds web/dist from web/src with Node alone (no packages): assets get a content hash in their
// names (served as immutable), index.html points at them, and every text file gets .br and .gz
// beside it (the server sends the one the browser accepts). Prints the app's gzipped size.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const dist = join(here, 'dist');

function write(path, bytes) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  writeFileSync(`${path}.gz`, gzipSync(bytes, { level: 9 }));
  writeFileSync(`${path}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
}

rmSync(dist, { recursive: true, force: true });
let index = readFileSync(join(src, 'index.html'), 'utf8');
let gzipped = 0;
for (const name of readdirSync(src).filter((n) => n !== 'index.html')) {
  const bytes = readFileSync(join(src, name));
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 10);
  const dot = name.lastIndexOf('.');
  const hashed = `${name.slice(0, dot)}-${hash}${name.slice(dot)}`;
  write(join(dist, 'assets', hashed), bytes);
  index = index.replaceAll(`/assets/${name}`, `/assets/${hashed}`);
  if (name.endsWith('.js')) gzipped += gzipSync(bytes, { level: 9 }).length;
}
write(join(dist, 'index.html'), Buffer.from(index));
console.log(`web/dist built; candidate JS gzipped: ${(gzipped / 1024).toFixed(1)} KB`);
