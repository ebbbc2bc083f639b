import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { consoleAssets, type ConsoleAssets } from '../../src/http/console-assets.js';
import { assertBuilt } from '../support/cli-harness.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

describe('consoleAssets', () => {
  it('points at the console directory in the repo, whose page loads only files that are served', () => {
    const { directory, vendorFiles } = consoleAssets();
    expect(directory).toBe(path.join(REPO_ROOT, 'src', 'http', 'console'));
    const html = readFileSync(path.join(directory, 'index.html'), 'utf8');
    const urls = [...html.matchAll(/(?:src|href)="([^"#]+)"/g)].map((match) => match[1]!);
    expect(urls).toEqual(
      expect.arrayContaining(['/vendor/uPlot.iife.min.js', '/vendor/uPlot.min.css', 'app.js']),
    );
    for (const url of urls) {
      const servedFrom = vendorFiles[url] ?? path.join(directory, url);
      expect(existsSync(servedFrom), `${url} → ${servedFrom}`).toBe(true);
    }
  });

  it('keeps the page free of inline scripts, styles and handlers, which the CSP would block', () => {
    const html = readFileSync(path.join(consoleAssets().directory, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
  });

  it('serves the uPlot build that defines the global uPlot, and its stylesheet', () => {
    const { vendorFiles } = consoleAssets();
    expect(Object.keys(vendorFiles).sort()).toEqual([
      '/vendor/uPlot.iife.min.js',
      '/vendor/uPlot.min.css',
    ]);
    const script = readFileSync(vendorFiles['/vendor/uPlot.iife.min.js']!, 'utf8');
    expect(script).toMatch(
      /^\/\*! https:\/\/github\.com\/leeoniya\/uPlot \(v1\.\d+\.\d+\) \*\/\s*var uPlot=/,
    );
    const stylesheet = readFileSync(vendorFiles['/vendor/uPlot.min.css']!, 'utf8');
    expect(stylesheet).toContain('.uplot');
    for (const file of Object.values(vendorFiles)) {
      expect(path.isAbsolute(file)).toBe(true);
      expect(file).toContain(`${path.sep}node_modules${path.sep}uplot${path.sep}dist${path.sep}`);
    }
  });

  it('returns frozen answers, so the server cannot be handed a changed file map', () => {
    const assets = consoleAssets();
    expect(Object.isFrozen(assets)).toBe(true);
    expect(Object.isFrozen(assets.vendorFiles)).toBe(true);
  });

  it('resolves the same files from the build, which does not copy the console', async () => {
    assertBuilt();
    const builtFile = path.join(REPO_ROOT, 'dist/src/http/console-assets.js');
    if (!existsSync(builtFile)) throw new Error(`${builtFile} is missing: run \`npm run build\``);
    const built = pathToFileURL(builtFile).href;
    const script = `import { consoleAssets } from '${built}'; console.log(JSON.stringify(consoleAssets()));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '--eval', script],
      { cwd: '/' }, // nothing may depend on where the engine was started from
    );
    expect(JSON.parse(stdout) as ConsoleAssets).toEqual(consoleAssets());
  });
});
