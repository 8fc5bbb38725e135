// Builds web/dist from web/src with Node alone: assets get a content hash in their names (served
// as immutable), the pages point at them, and every text file gets .br and .gz beside it (the
// server sends the one the browser accepts). /docs is the API reference: Swagger UI's prebuilt
// files from node_modules (swagger-ui-dist, pinned in the lockfile) and web/docs, reading the
// server's own /openapi.json, so zhiyuan serves it from server.web_root with no CDN. Prints the
// candidate app's gzipped JS size.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

// Every file this build makes, so that the ones it no longer makes can go.
const outputs = new Set();

// Whole files only, by rename from beside dist (never a half-written or temporary file inside
// it): a server starting meanwhile reads the old bytes or the new.
const staging = join(here, `.dist-staging-${process.pid}`);
let staged = 0;
function put(path, bytes) {
  mkdirSync(staging, { recursive: true });
  const tmp = join(staging, String(staged++));
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

function unchanged(path, bytes) {
  try {
    return readFileSync(path).equals(bytes) && existsSync(`${path}.gz`) && existsSync(`${path}.br`);
  } catch {
    return false;
  }
}

function write(path, bytes) {
  for (const p of [path, `${path}.gz`, `${path}.br`]) outputs.add(p);
  // Left alone when the same: test suites build concurrently while others' servers read dist.
  if (unchanged(path, bytes)) return;
  mkdirSync(dirname(path), { recursive: true });
  put(`${path}.gz`, gzipSync(bytes, { level: 9 }));
  put(`${path}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  // The file itself last: its bytes mark its variants done.
  put(path, bytes);
}

function removeStale(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) removeStale(path);
    else if (!outputs.has(path)) rmSync(path, { force: true });
  }
}

// Copies each file to `dir` under a content-hashed name, in order: a file's `/prefix/name`
// references to the files before it (a module's imports) are pointed at their hashed names first,
// so its own hash covers them. Returns `rename`, which does the same to a page.
function publish(files, dir, prefix) {
  const names = [];
  const rename = (text) => names.reduce((t, [from, to]) => t.replaceAll(`${prefix}/${from}`, `${prefix}/${to}`), text);
  const gzipped = {};
  for (const [file, as = basename(file)] of files) {
    let bytes = readFileSync(file);
    // A module's imports renamed; no source-map comment (the maps are not published).
    if (/\.(m?js|css)$/.test(as)) bytes = Buffer.from(rename(bytes.toString('utf8')).replace(/\n\/[/*]# sourceMappingURL=[^\n]*/g, ''));
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 10);
    const dot = as.lastIndexOf('.');
    const hashed = `${as.slice(0, dot)}-${hash}${as.slice(dot)}`;
    write(join(dir, hashed), bytes);
    names.push([as, hashed]);
    if (/\.m?js$/.test(as)) gzipped[as] = gzipSync(bytes, { level: 9 }).length;
  }
  return { rename, gzipped };
}

const kb = (sizes, names) => (names.reduce((n, k) => n + sizes[k], 0) / 1024).toFixed(1);

const src = (name) => join(here, 'src', name);
const openapiFetch = createRequire(import.meta.url).resolve('openapi-fetch').replace(/index\.(c?js|cjs)$/, 'index.mjs');
// Dependencies first: the typed client's library, the shared kit, then the pages' modules.
const app = publish([[openapiFetch, 'openapi-fetch.mjs'], [src('kit.js')], [src('browse.js')], [src('app.js')],
  [src('office.js')], [src('style.css')]], join(dist, 'assets'), '/assets');
write(join(dist, 'index.html'), Buffer.from(app.rename(readFileSync(src('index.html'), 'utf8'))));
write(join(dist, 'office', 'index.html'), Buffer.from(app.rename(readFileSync(src('office.html'), 'utf8'))));

const docsSrc = join(here, 'docs');
const docs = publish([[join(swaggerUi, 'swagger-ui-bundle.js')], [join(swaggerUi, 'swagger-ui.css')],
  [join(docsSrc, 'docs.js')], [join(docsSrc, 'docs.css')]], join(dist, 'docs'), '/docs');
write(join(dist, 'docs', 'index.html'), Buffer.from(docs.rename(readFileSync(join(docsSrc, 'index.html'), 'utf8'))));
// The renderer's licence travels with it.
write(join(dist, 'docs', 'swagger-ui-LICENSE.txt'), readFileSync(join(swaggerUi, 'LICENSE')));

removeStale(dist);
rmSync(staging, { recursive: true, force: true });

// candidate_js_gzip_kb: what the candidate's page loads (bench/RESULTS.md).
console.log(`web/dist built; candidate JS gzipped: ${kb(app.gzipped, ['openapi-fetch.mjs', 'kit.js', 'browse.js', 'app.js'])} KB; ` +
  `office JS gzipped: ${kb(app.gzipped, ['openapi-fetch.mjs', 'kit.js', 'office.js'])} KB; ` +
  `API reference JS gzipped: ${kb(docs.gzipped, ['swagger-ui-bundle.js', 'docs.js'])} KB`);
