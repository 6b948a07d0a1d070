import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { WordPieceTokenizer } from "../tokenizer/wordpiece-tokenizer.js";

/**
 * Tokenizers by the SHA-256 of their tokenizer.json: models that share a vocabulary share one
 * tokenizer (and its word cache), however many of them a repository holds.
 */
export class SharedTokenizers {
  private readonly byHash = new Map<string, WordPieceTokenizer>();

  async get(path: string): Promise<WordPieceTokenizer> {
    const text = await readFile(path, "utf8");
    const key = createHash("sha256").update(text).digest("hex");
    let tokenizer = this.byHash.get(key);
    if (tokenizer === undefined) {
      tokenizer = WordPieceTokenizer.fromJson(text, path);
      this.byHash.set(key, tokenizer);
    }
    return tokenizer;
  }
}
