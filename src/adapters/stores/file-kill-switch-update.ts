// The file store's update(): claim revision n+1 with link(), retry on EEXIST, then publish state.json.
import { isLivegateError, LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { KillSwitchUpdateResult } from '../../core/ports.js';
import type { FileKillSwitchLayout } from './file-kill-switch-layout.js';
import type { BoundedFileReader } from './file-bounded-reader.js';
import { highestRevision, isReadTimeout, readRecordFile } from './file-kill-switch-reader.js';
import {
  claimRevision,
  ensureDirectories,
  exists,
  fsyncDirectory,
  removeStaleTemporaryFiles,
  serialiseRecord,
  setAside,
  temporaryPath,
  writeDurableFile,
  writeStatePointer,
} from './file-kill-switch-writer.js';
import { optimisticUpdate, type Decide } from './optimistic-update.js';
import type { StampContext } from './stamp-kill-switch-record.js';

export type { Decide };

export interface FileUpdateContext {
  readonly layout: FileKillSwitchLayout;
  readonly stamp: StampContext;
  readonly decide: Decide;
  /** The store's checked read: throws ERR_STATE_UNREADABLE when state exists but is untrustworthy. */
  readonly read: () => Promise<KillSwitchRecord | null>;
  readonly files: BoundedFileReader;
  readonly highestSeen: () => number;
  readonly wrote: (record: KillSwitchRecord) => void;
  readonly cleanTemporaryFiles: boolean;
}

interface Current {
  readonly record: KillSwitchRecord | null;
  readonly unreadable: LivegateError | undefined;
}

export function updateFileKillSwitch(context: FileUpdateContext): Promise<KillSwitchUpdateResult> {
  const { layout } = context;
  return optimisticUpdate<Current>({
    stamp: context.stamp,
    decide: context.decide,
    read: () => readCurrent(context),
    nextRevision: (current) => nextRevision(context, current),
    claim: async (record, current, _change, attempt) => {
      // Per attempt and only now: a no-op update creates nothing, and a deleted layout comes back.
      await ensureDirectories(layout);
      if (attempt === 1 && context.cleanTemporaryFiles) {
        await removeStaleTemporaryFiles(layout.temporaryDirectory, Date.now());
      }
      const temporary = temporaryPath(layout, 'revision');
      await writeDurableFile(temporary, serialiseRecord(record));
      if (!(await claimRevision(temporary, layout.revisionPath(record.revision)))) return null;
      return commit(context, record, current.unreadable);
    },
    where: `in ${layout.revisionsDirectory}`,
    details: { path: layout.revisionsDirectory },
  });
}

async function readCurrent(context: FileUpdateContext): Promise<Current> {
  try {
    return { record: await context.read(), unreadable: undefined };
  } catch (error) {
    if (isLivegateError(error, 'ERR_STATE_UNREADABLE')) return { record: null, unreadable: error };
    throw error;
  }
}

/**
 * Over unreadable (or vanished, or rewound) state, the next revision is above every revision file
 * and every revision this instance has seen, so no number is ever reused for a different record.
 */
async function nextRevision(context: FileUpdateContext, current: Current): Promise<number> {
  if (current.record !== null) return current.record.revision + 1;
  return (
    Math.max((await highestRevision(context.layout, context.files)) ?? 0, context.highestSeen()) + 1
  );
}

async function commit(
  context: FileUpdateContext,
  record: KillSwitchRecord,
  unreadable: LivegateError | undefined,
): Promise<KillSwitchUpdateResult> {
  const { layout } = context;
  try {
    await fsyncDirectory(layout.revisionsDirectory);
    context.wrote(record);
    const repairedFrom =
      unreadable === undefined ? undefined : await setAsideUnreadable(layout, unreadable, context);
    // A faster writer may already have linked (and will publish) n+2; skip the stale pointer then.
    if (!(await exists(layout.revisionPath(record.revision + 1)))) {
      await writeStatePointer(layout, record);
    }
    return repairedFrom === undefined
      ? { record, changed: true }
      : { record, changed: true, repairedFrom };
  } catch (error) {
    // Loud on purpose: the caller must not assume the change took effect, and retrying an
    // engage only appends a harmless duplicate revision.
    throw new LivegateError(
      'ERR_STATE_WRITE_FAILED',
      `Kill-switch revision ${record.revision} was linked but could not be completed: ${(error as Error).message}`,
      { cause: error, details: { revision: record.revision } },
    );
  }
}

/**
 * Only an unreadable state.json is moved aside (it is about to be replaced). An unreadable
 * revision file stays where it is: moving it would leave a gap that a stale state.json below it
 * could roll forward into and stop at, silently hiding every newer revision. Left in place, a
 * stale pointer below it fails closed instead, and history() keeps showing the damage. A read that
 * only timed out says nothing about the file, so it is replaced but not kept as damage.
 */
async function setAsideUnreadable(
  layout: FileKillSwitchLayout,
  unreadable: LivegateError,
  context: FileUpdateContext,
): Promise<string | undefined> {
  if (unreadable.details?.['path'] !== layout.statePath) return undefined;
  try {
    // A racing repair may already have replaced it with a good copy: keep that one.
    await readRecordFile(context.files, layout.statePath, undefined);
    return undefined;
  } catch (error) {
    if (isReadTimeout(error)) return undefined;
    return setAside(layout.statePath, context.stamp.clock.now());
  }
}
