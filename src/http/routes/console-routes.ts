// The operator console: a static directory at / and the vendored chart files it loads.

import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './error-body.js';

export interface ConsoleFiles {
  readonly directory: string;
  /** URL path (e.g. '/vendor/uPlot.iife.min.js') → absolute file. */
  readonly vendorFiles: Readonly<Record<string, string>>;
}

export function registerConsoleRoutes(app: FastifyInstance, files: ConsoleFiles | undefined): void {
  if (files === undefined) {
    app.get('/', (_request, reply) =>
      reply
        .code(404)
        .send(errorBody('CONSOLE_DISABLED', 'the operator console is not served by this engine')),
    );
    return;
  }
  // Loaded with the server (ready/listen); registration only queues it.
  void app.register(fastifyStatic, {
    root: files.directory,
    prefix: '/',
    index: ['index.html'],
    dotfiles: 'deny',
    // The console is small and changes with the engine: always revalidate.
    cacheControl: false,
    etag: true,
  });
  for (const [url, file] of Object.entries(files.vendorFiles)) {
    app.get(url, (_request, reply) =>
      reply.sendFile(path.basename(file), path.dirname(file), { cacheControl: false }),
    );
  }
}
