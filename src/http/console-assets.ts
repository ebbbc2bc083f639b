// Where the operator console's files live on disk, for the control server to serve at `/` and `/vendor/`.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LivegateError } from '../core/errors.js';

export interface ConsoleAssets {
  /** Absolute path of `src/http/console/`: index.html, app.js, style.css. */
  readonly directory: string;
  /** URL path → absolute file path, for the vendored chart library. */
  readonly vendorFiles: Readonly<Record<string, string>>;
}

/** The uPlot build the console loads: a classic script that defines the global `uPlot`. */
const UPLOT_FILES: Readonly<Record<string, string>> = {
  '/vendor/uPlot.iife.min.js': 'dist/uPlot.iife.min.js',
  '/vendor/uPlot.min.css': 'dist/uPlot.min.css',
};

/**
 * The console's static directory and the vendored uPlot files, resolved from the installed package.
 * Throws ERR_HTTP_FAILED naming the file when one is missing, so the server refuses to start.
 */
export function consoleAssets(): ConsoleAssets {
  const directory = path.join(packageRoot(), 'src', 'http', 'console');
  requireFile(path.join(directory, 'index.html'), 'the operator console');
  const uplotRoot = path.dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  const vendorFiles: Record<string, string> = {};
  for (const [url, relative] of Object.entries(UPLOT_FILES)) {
    const file = path.join(uplotRoot, relative);
    requireFile(file, `uPlot (${url})`);
    vendorFiles[url] = file;
  }
  return Object.freeze({ directory, vendorFiles: Object.freeze(vendorFiles) });
}

/**
 * The directory holding livegate's package.json. Walking up works both from `src/http/` (tests
 * run the sources) and from `dist/src/http/` (the build does not copy the console's files).
 */
function packageRoot(): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let directory = start; ; directory = path.dirname(directory)) {
    if (isLivegatePackage(path.join(directory, 'package.json'))) return directory;
    if (path.dirname(directory) === directory)
      throw new LivegateError(
        'ERR_HTTP_FAILED',
        `console assets: no livegate package.json above ${start}`,
        { details: { start } },
      );
  }
}

function isLivegatePackage(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'livegate';
  } catch {
    return false;
  }
}

function requireFile(file: string, what: string): void {
  if (!existsSync(file))
    throw new LivegateError(
      'ERR_HTTP_FAILED',
      `console assets: ${what} is missing: ${file} does not exist`,
      { details: { file } },
    );
}
