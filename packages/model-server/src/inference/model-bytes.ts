import { open } from "node:fs/promises";

/** Buffers are sized in whole MiB, so models of one architecture (a few bytes apart) reuse each other's. */
const MIB = 1024 * 1024;
/**
 * Every freed buffer is kept for a later load, and one is dropped only when a load finds none that fits;
 * so the buffers (in use and spare) never outnumber the most ever in use at once, which the resident
 * budget bounds. A repository evicts a model per load and releases its session 50 ms later: keeping at
 * most two spares made every few released buffers garbage while new ones were allocated, ~50 MB more at
 * the peak of 120 tiny-model loads, and holes in malloc's heap afterwards.
 */
const spare: Buffer[] = [];

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
    // None fits (a model of another size): the oldest spare goes, so the pool does not grow by one per size.
    if (index < 0) spare.shift();
    const buffer = index >= 0 ? spare.splice(index, 1)[0]! : Buffer.allocUnsafeSlow(Math.ceil(size / MIB) * MIB);
    let read = 0;
    try {
      while (read < size) {
        const { bytesRead } = await file.read(buffer, read, size - read, read);
        if (bytesRead === 0) throw new Error(`${path} ended after ${read} of ${size} bytes (changed while reading?).`);
        read += bytesRead;
      }
    } catch (error) {
      spare.push(buffer);
      throw error;
    }
    let freed = false;
    return {
      bytes: buffer.subarray(0, size),
      // Only after the session that used the bytes is released.
      free: () => {
        if (freed) return;
        freed = true;
        spare.push(buffer);
      },
    };
  } finally {
    await file.close();
  }
}
