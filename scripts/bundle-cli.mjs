// Bundles the `livegate` command (tsc's output in dist/src) into dist/cli/: a kill or a status in
// an emergency used to spend most of its time resolving and reading ~60 of our modules and zod's
// own files one by one. Our code, zod and commander go in; every other package stays external
// (loaded only by the commands that need it: ioredis, NATS, ccxt, pino, fastify...). One chunk per
// lazily loaded command, so `kill` does not parse the engine; and a second bundle, livegate.js,
// for a plain kill/reduce/reset/status, so what they load is a few files, not ~30 shared ones.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const BUNDLED_PACKAGES = new Set(['zod', 'commander']);
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys({
  ...manifest.dependencies,
  ...manifest.optionalDependencies,
  ...manifest.peerDependencies,
})
  .filter((name) => !BUNDLED_PACKAGES.has(name))
  .flatMap((name) => [name, `${name}/*`]);

/**
 * zod's namespace re-exports every locale (about a third of what `kill` parsed); livegate's
 * messages are English, the locale zod registers by default, so the others are left out.
 */
const englishOnlyZodLocales = {
  name: 'english-only-zod-locales',
  setup(bundler) {
    bundler.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}zod${path.sep}`)
        ? {
            path: path.join(path.dirname(args.importer), '../locales/index.js'),
            namespace: 'zod-en',
          }
        : undefined,
    );
    bundler.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * The schema's defaults, as JSON, for src/config/defaults-only-config.ts: `kill` with no config
 * file then loads neither zod nor the config's schemas. Computed here from the schema itself (tsc
 * has just built it), so they cannot drift from it; engine.id and stateDir are set per run.
 */
const { configSchema } = await import('../dist/src/config/schema.js');
const builtDefaultConfig = JSON.stringify(configSchema.parse({ engine: { id: 'set-per-run' } }));

/**
 * commander requires node:child_process at load (with net and streams behind it, ~10 ms of a
 * `kill`) for executable subcommands, which livegate has none of: it gets a stand-in that loads
 * child_process on the first spawn.
 */
const commanderWithoutChildProcessAtLoad = {
  name: 'commander-without-child-process-at-load',
  setup(bundler) {
    bundler.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}commander${path.sep}`)
        ? { path: 'child_process', namespace: 'lazy-child-process' }
        : undefined,
    );
    bundler.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents:
        "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };",
      loader: 'js',
    }));
  },
};

const outdir = new URL('../dist/cli/', import.meta.url).pathname;
await rm(outdir, { recursive: true, force: true });
const shared = {
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // Smaller files parse faster; names kept so stack traces and error names stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  // commander is CommonJS: its require('node:events') needs a real require in an ES module.
  banner: {
    js: "import { createRequire as __livegateRequire } from 'node:module'; const require = __livegateRequire(import.meta.url);",
  },
  plugins: [englishOnlyZodLocales, commanderWithoutChildProcessAtLoad],
  define: { 'globalThis.livegateBuiltDefaultConfig': JSON.stringify(builtDefaultConfig) },
  logLevel: 'warning',
  metafile: true,
};
// The full CLI: every command, one chunk per lazily loaded command.
await build({
  ...shared,
  entryPoints: { 'livegate-full': 'dist/src/cli/main.js' },
  external,
  chunkNames: 'chunks/[name]-[hash]',
});
/**
 * The `livegate` bin: a plain kill/reduce/reset/status from a bundle of its own, where what they
 * load is one or two chunks instead of ~27 shared with the other commands (a second copy of our
 * code; a process runs one of the two). Everything else goes to livegate-full.js.
 */
const result = await build({
  ...shared,
  entryPoints: { livegate: 'dist/src/cli/quick-main.js' },
  external: [...external, './livegate-full.js'],
  chunkNames: 'quick/[name]-[hash]',
});

/**
 * What `livegate kill` loads (the entry, the kill command's chunk and everything they import
 * statically), held under a budget: one `import('zod')` or `import { z }` undoes zod's
 * tree-shaking and doubles it unnoticed (kill loaded 372 kB on 2026-12-05, 530 kB with all of zod;
 * 267 kB on 2026-12-06 without the config schemas (on the defaults), the feeds and paper broker;
 * 104 kB in 10 files later that day without zod, from the quick bundle).
 */
const KILL_BUDGET_BYTES = 130_000;
const outputs = result.metafile.outputs;
const loaded = new Set();
const pending = Object.keys(outputs).filter(
  (file) => file === 'dist/cli/livegate.js' || /quick\/quick-command-[^/]+\.js$/.test(file),
);
while (pending.length > 0) {
  const file = pending.pop();
  if (loaded.has(file)) continue;
  loaded.add(file);
  for (const imported of outputs[file].imports) {
    if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
  }
}
const killBytes = [...loaded].reduce((sum, file) => sum + outputs[file].bytes, 0);
// zod is ~25 ms of a kill: the file store and the defaults check what kill reads without it.
const zodInKill = [...loaded].filter((file) =>
  Object.keys(outputs[file].inputs).some((input) => input.includes('node_modules/zod/')),
);
if (zodInKill.length > 0) {
  throw new Error(
    `bundle-cli: livegate kill loads zod (in ${zodInKill.join(', ')}); load it lazily`,
  );
}
if (loaded.size < 2 || killBytes > KILL_BUDGET_BYTES) {
  throw new Error(
    `bundle-cli: livegate kill loads ${killBytes} bytes in ${loaded.size} files, over its ${KILL_BUDGET_BYTES} budget (or its chunks were not found)`,
  );
}
