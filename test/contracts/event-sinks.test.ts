import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MemoryEventSink } from '../../src/adapters/sinks/memory-event-sink.js';
import { JsonlJournalSink } from '../../src/adapters/sinks/jsonl-journal-sink.js';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { runEventSinkContract } from './event-sink.contract.js';

runEventSinkContract('MemoryEventSink', () => {
  const sink = new MemoryEventSink();
  return Promise.resolve({
    sink,
    readBack: () => Promise.resolve([...sink.events]),
    cleanup: () => Promise.resolve(),
  });
});

runEventSinkContract('JsonlJournalSink', async () => {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-sink-contract-'));
  const sink = new JsonlJournalSink({ directory, runId: 'contract', onError: () => undefined });
  return {
    sink,
    readBack: async () =>
      (await readJournal(directory)).events.map(
        ({ id: _id, seq: _seq, ...event }) => event as never,
      ),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});
