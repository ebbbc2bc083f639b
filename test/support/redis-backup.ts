// An operator's backup of one namespace on a real Redis server: every key DUMPed, and put back
// as it was (the keys created since deleted), as restoring a snapshot would.
import type { Redis } from 'ioredis';

export type NamespaceBackup = ReadonlyMap<string, Buffer>;

export async function backUpNamespace(client: Redis, namespace: string): Promise<NamespaceBackup> {
  const dumped = new Map<string, Buffer>();
  for (const key of await client.keys(`${namespace}:*`)) {
    const value = await client.dumpBuffer(key);
    if (value !== null) dumped.set(key, value);
  }
  return dumped;
}

export async function restoreNamespace(
  client: Redis,
  namespace: string,
  backup: NamespaceBackup,
): Promise<void> {
  const now = await client.keys(`${namespace}:*`);
  if (now.length > 0) await client.del(...now);
  for (const [key, value] of backup) await client.restore(key, 0, value, 'REPLACE');
}
