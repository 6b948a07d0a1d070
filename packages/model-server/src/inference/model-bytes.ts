import { open } from "node:fs/promises";

/** Spare buffers kept for the next model: one load after an eviction, and one more, no more. */
const MAX_SPARE = 2;
/** Buffers are sized in whole MiB, so models of one architecture (a few bytes apart) reuse each other's. */
const MIB = 1024 * 1024;
const spare: Buffer[] = [];

function keepSpare(buffer: Buffer): void {
  if (spare.length < MAX_SPARE) spare.push(buffer);
}

/**
 * Reads a model file into a buffer the session may use in place (ORT format, bytes used directly).
 * The read runs on libuv's thread pool; a buffer freed by a released session is reused when big
 * enough, so a load touches no fresh memory and the event loop never waits on page faults.
 */
export async function readModelBytes(path: string): Promise<{ bytes: Uint8Array; free: () => void }> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    // The most recently freed buffer that fits (its pages are the likeliest to be warm).
    const index = spare.findLastIndex((buffer) => buffer.length >= size && buffer.length <= size * 1.5 + MIB);
    const buffer = index >= 0 ? spare.splice(index, 1)[0]! : Buffer.allocUnsafeSlow(Math.ceil(size / MIB) * MIB);
    let read = 0;
    try {
      while (read < size) {
        const { bytesRead } = await file.read(buffer, read, size - read, read);
        if (bytesRead === 0) throw new Error(`${path} ended after ${read} of ${size} bytes (changed while reading?).`);
        read += bytesRead;
      }
    } catch (error) {
      keepSpare(buffer);
      throw error;
    }
    let freed = false;
    return {
      bytes: buffer.subarray(0, size),
      // Only after the session that used the bytes is released.
      free: () => {
        if (freed) return;
        freed = true;
        keepSpare(buffer);
      },
    };
  } finally {
    await file.close();
  }
}
