import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { WordPieceTokenizer } from "../../tokenizer/wordpiece-tokenizer.js";

/**
 * Tokenizers by the SHA-256 of their tokenizer.json: models that share a vocabulary share one
 * tokenizer (and its word cache), however many of them a repository holds.
 *
 * Each load reads its model's tokenizer.json (~0.7 MB for BERT) into one scratch buffer, reused, and
 * hashes the bytes there; a string is made only for a vocabulary not seen yet. Reading with readFile
 * left a buffer per load for V8 to collect when it got round to it: with 120 loads that was ~80 MB of
 * garbage outside the heap at the peak of a many-models run, and holes in malloc's heap afterwards.
 */
export class SharedTokenizers {
  private readonly byHash = new Map<string, WordPieceTokenizer>();
  private scratch = Buffer.alloc(0);

  async get(path: string): Promise<WordPieceTokenizer> {
    const file = await open(path, "r");
    // Taken while in use: loads running at once each read into a buffer of their own.
    let buffer = this.scratch;
    this.scratch = Buffer.alloc(0);
    try {
      const { size } = await file.stat();
      if (buffer.length < size) buffer = Buffer.allocUnsafeSlow(size);
      let read = 0;
      while (read < size) {
        const { bytesRead } = await file.read(buffer, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      const bytes = buffer.subarray(0, read);
      const key = createHash("sha256").update(bytes).digest("hex");
      let tokenizer = this.byHash.get(key);
      if (tokenizer === undefined) {
        tokenizer = WordPieceTokenizer.fromJson(bytes.toString("utf8"), path);
        this.byHash.set(key, tokenizer);
      }
      return tokenizer;
    } finally {
      if (buffer.length > this.scratch.length) this.scratch = buffer;
      await file.close();
    }
  }
}
