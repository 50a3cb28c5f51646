/**
 * The page's static files, read once when the routes are registered: `src/dashboard/public/*`
 * and uPlot's browser build from node_modules. The public folder is found relative to this
 * module, two levels under the package root both as `src/dashboard/assets.ts` (tsx) and as
 * `dist/dashboard/assets.js` (built), so the package ships `src/dashboard/public` as is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** URL prefix of every asset; the page itself is served at `/`. */
export const assetPrefix = '/dashboard/';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export function publicDir(): string {
  return fileURLToPath(new URL('../../src/dashboard/public/', import.meta.url));
}

/**
 * Every servable file by URL path (`/dashboard/app.js`, `/dashboard/vendor/uPlot.min.css`), plus
 * `index.html`. Only the extensions above are served (not the tsconfig or .d.ts used to
 * type-check the browser code). A missing file is a packaging bug and throws, naming the path.
 */
export function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const dir = publicDir();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new Error(`dashboard: cannot read its static files at ${dir} (is src/dashboard/public in the package?)`, { cause: error });
  }
  for (const name of names.sort()) {
    const contentType = contentTypes[extname(name)];
    if (contentType === undefined || name.endsWith('.d.ts')) continue;
    assets.set(`${assetPrefix}${name}`, { body: readFileSync(join(dir, name)), contentType });
  }
  if (!assets.has(`${assetPrefix}index.html`)) throw new Error(`dashboard: no index.html in ${dir}`);
  const uplotDist = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) {
    assets.set(`${assetPrefix}vendor/${name}`, { body: readFileSync(join(uplotDist, name)), contentType: contentTypes[extname(name)]! });
  }
  return assets;
}
