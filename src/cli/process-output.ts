// stdout and stderr at the end of a command, shared by main.ts and quick-command.ts.

/** `livegate status | head`: a reader that stopped reading ends the output, not with a stack. */
export function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

/** Resolves once everything written to the stream so far has been handed to the OS. */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}
