/**
 * Tokenizer throughput: today's WordPieceTokenizer against a previous implementation (read from git,
 * by default the commit before the Hugging Face-compatible rewrite), in one run, rounds interleaved,
 * calls per CPU second; the new/old ratio is what to read (the machine is noisy): of the best rounds,
 * and the median of each round's ratio. Also the load time of a
 * vocabulary of bert-base-multilingual-cased's size (119,547 entries).
 *
 *   node --conditions=source --import tsx bench/tokenizer.ts [--baseline 51bda0f] [--rounds 5] [--ms 300]
 *
 * Cases: the AWS sample's default question + context pair (encodePair, 128 tokens); a long multilingual
 * text (French, German, Greek, Russian, Chinese; encodeText over all of it) with its words cached, as
 * a server sees them again and again; and the same text made of words never seen (each round's cache
 * misses). The previous tokenizer refuses cased vocabularies, so every case uses an uncased one.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CONTEXT, DEFAULT_QUESTION, WordPieceTokenizer } from "@inference-fleet/model-server";
import { buildTokenizerJson, loadBertVocabulary, SeededRandom } from "@inference-fleet/model-zoo";

const { values: args } = parseArgs({
  options: {
    baseline: { type: "string", default: "51bda0f" },
    rounds: { type: "string", default: "5" },
    ms: { type: "string", default: "300" },
  },
});

interface Encoder {
  encodePair(question: string, context: string, maxSeqLength: number): { ids: Int32Array };
  encodeText(text: string): number[];
}
type EncoderClass = { fromJson(text: string): Encoder };

/** The previous tokenizer's sources, from git, in a temporary folder tsx can import. */
async function loadBaseline(ref: string): Promise<{ Baseline: EncoderClass; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "tokenizer-baseline-"));
  const folder = "packages/model-server/src/tokenizer";
  const files = execFileSync("git", ["ls-tree", "--name-only", ref, `${folder}/`], { encoding: "utf8" })
    .split("\n")
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
  for (const file of files) {
    writeFileSync(join(dir, file.slice(folder.length + 1)), execFileSync("git", ["show", `${ref}:${file}`], { encoding: "utf8" }));
  }
  const module = (await import(join(dir, "wordpiece-tokenizer.ts"))) as { WordPieceTokenizer: EncoderClass };
  return { Baseline: module.WordPieceTokenizer, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const MULTILINGUAL = [
  "Le château de Versailles, résidence des rois de France, attire des millions de visiteurs chaque année.",
  "Die Straßenbahn fährt über die Brücke zum Hauptbahnhof, wo Reisende nach Zürich und München umsteigen.",
  "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας και μία από τις αρχαιότερες πόλεις του κόσμου.",
  "Москва — столица России, крупнейший по численности населения город страны.",
  "北京是中华人民共和国的首都，也是全国的政治、文化和国际交往中心。",
  "São Paulo é a maior cidade do Brasil; ÀÉÎÕÜ, ñandú, naïve café, İstanbul.",
].join(" ");

/** The multilingual text with every word replaced by a made-up one of the same script, so the word cache misses. */
function unseenWords(text: string, random: SeededRandom): string {
  return text.replace(/\p{L}+/gu, (word) => [...word].map((c) => String.fromCodePoint((c.codePointAt(0)! & ~0x0f) | (random.nextUint32() & 0x0f))).join(""));
}

/** Calls per CPU second of `run` over about `ms` milliseconds of CPU time (CPU time: what other tenants of the machine disturb least). */
function rate(run: () => void, ms: number): number {
  let calls = 0;
  const started = process.cpuUsage();
  let elapsedUs = 0;
  while (elapsedUs < ms * 1000) {
    for (let i = 0; i < 20; i++) run();
    calls += 20;
    const used = process.cpuUsage(started);
    elapsedUs = used.user + used.system;
  }
  return (calls / elapsedUs) * 1e6;
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const rounds = Number(args.rounds);
  const ms = Number(args.ms);
  const { Baseline, cleanup } = await loadBaseline(args.baseline);
  try {
    const json = buildTokenizerJson();
    const tokenizers = { new: WordPieceTokenizer.fromJson(json) as Encoder, old: Baseline.fromJson(json) };
    const random = new SeededRandom(3);
    const unseen = Array.from({ length: 4096 }, () => unseenWords(MULTILINGUAL, random));
    const cases: [string, (t: Encoder, round: number) => () => void][] = [
      ["default pair (encodePair, 128)", (t) => () => t.encodePair(DEFAULT_QUESTION, DEFAULT_CONTEXT, 128)],
      [`multilingual text, ${MULTILINGUAL.length} chars (encodeText, cached words)`, (t) => () => t.encodeText(MULTILINGUAL)],
      [
        `multilingual text, ${MULTILINGUAL.length} chars (encodeText, unseen words)`,
        (t, round) => {
          let i = 0;
          return () => t.encodeText(unseen[(round * 997 + i++) % unseen.length]!);
        },
      ],
    ];
    const sameIds = (a: Encoder, b: Encoder) => JSON.stringify(a.encodeText(MULTILINGUAL)) === JSON.stringify(b.encodeText(MULTILINGUAL));
    console.log(`new and old give the same ids on the multilingual text: ${sameIds(tokenizers.new, tokenizers.old)}`);
    console.log(`baseline ${args.baseline}; best of ${rounds} interleaved rounds of ~${ms} ms each\n`);
    console.log("case".padEnd(62), "new/s".padStart(10), "old/s".padStart(10), "best".padStart(6), "median".padStart(7));
    for (const [name, make] of cases) {
      const best = { new: 0, old: 0 };
      const ratios: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const measured = { new: 0, old: 0 };
        for (const which of round % 2 === 0 ? (["new", "old"] as const) : (["old", "new"] as const)) {
          measured[which] = rate(make(tokenizers[which], round), ms);
          best[which] = Math.max(best[which], measured[which]);
        }
        ratios.push(measured.new / measured.old);
      }
      const cells = [best.new.toFixed(0).padStart(10), best.old.toFixed(0).padStart(10), (best.new / best.old).toFixed(2).padStart(6)];
      console.log(name.padEnd(62), ...cells, median(ratios).toFixed(2).padStart(7));
    }
    loadTimes(Baseline);
  } finally {
    cleanup();
  }
}

/** Load time of a 119,547-entry vocabulary (bert-base-uncased plus made-up tokens), new and old, best of 3. */
function loadTimes(Baseline: EncoderClass): void {
  const vocabulary = loadBertVocabulary();
  const random = new SeededRandom(5);
  const seen = new Set(vocabulary);
  while (vocabulary.length < 119_547) {
    const token = Array.from({ length: 2 + (random.nextUint32() % 6) }, () => String.fromCharCode(0x100 + (random.nextUint32() % 0x2000))).join("");
    const spelled = random.nextUint32() % 2 === 0 ? `##${token}` : token;
    if (!seen.has(spelled)) {
      seen.add(spelled);
      vocabulary.push(spelled);
    }
  }
  const json = buildTokenizerJson(vocabulary);
  const time = (load: () => unknown) => Math.min(...[0, 1, 2].map(() => ((started) => (load(), performance.now() - started))(performance.now())));
  const [fresh, old] = [time(() => WordPieceTokenizer.fromJson(json)), time(() => Baseline.fromJson(json))];
  console.log(
    `\nload ${vocabulary.length} entries (${(json.length / 1e6).toFixed(1)} MB tokenizer.json): new ${fresh.toFixed(0)} ms, old ${old.toFixed(0)} ms`,
  );
}

await main();
