import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bestAnswerSpan } from "../inference/answer-span.js";
import { casedTokenizerJson } from "../testing/cased-tokenizer.js";
import { appFor, generateTinyModel } from "../testing/tiny-model.js";

/**
 * Text requests answer with the exact substring of the context under the best span: accents,
 * decomposed characters, CJK, Greek/Cyrillic and mixed case as sent. The reference span comes from
 * the JS port's ids run through ONNX Runtime in-process; the answer must be a substring of the
 * context whose tokens are exactly that span's ids.
 */
const PAIRS: [string, string][] = [
  ["Where was Marie Curie born?", "Marie Curie was born in Warsaw and studied in Paris."],
  ["¿Dónde está el Café?", "El Café está en São Paulo, cerca de Zürich Straße; ÀÉÎÕÜ ñandú."],
  ["Decomposed?", "Cafe\u0301 noir et the\u0301 vert, na\u0308ive."],
  ["中国的首都是哪里？", "中国的首都是北京。東京は日本の首都です。"],
  ["Πού είναι η Αθήνα;", "Η Αθήνα είναι στην Ελλάδα. Москва — столица России. Привет!"],
  ["MiXeD CaSe?", "iPhone and McDonald and PARIS and paris, ΟΔΟΣ and Σοφία."],
];

let model: Awaited<ReturnType<typeof generateTinyModel>>;
let api: Awaited<ReturnType<typeof appFor>>;
let session: InferenceSession;
const tokenizerJson = casedTokenizerJson();
const reference = new Tokenizer(JSON.parse(tokenizerJson) as object, {});

beforeAll(async () => {
  model = await generateTinyModel();
  await writeFile(join(model.dir, "tokenizer.json"), tokenizerJson);
  api = await appFor(model.dir);
  session = await InferenceSession.create(join(model.dir, "model.onnx"), { intraOpNumThreads: 1 });
});
afterAll(async () => {
  await session?.release();
  await api?.registry.close();
  await model?.cleanup();
});

/** The reference's best span, as the ids of its tokens. */
async function referenceSpanIds(question: string, context: string): Promise<number[]> {
  const ids: number[] = reference.encode(question, { text_pair: context }).ids;
  const contextStart = ids.indexOf(102) + 1;
  const tensor = (values: number[]) => new Tensor("int64", BigInt64Array.from(values, BigInt), [1, values.length]);
  const output = await session.run({
    input_ids: tensor(ids),
    attention_mask: tensor(ids.map(() => 1)),
    token_type_ids: tensor(ids.map((_, i) => (i < contextStart ? 0 : 1))),
  });
  const span = bestAnswerSpan(output["start_logits"]!.data as Float32Array, output["end_logits"]!.data as Float32Array, contextStart, ids.length - 1)!;
  return ids.slice(span.start, span.end + 1);
}

describe.each(PAIRS)("the answer to %j", (question, context) => {
  it("is the context's own text under the reference span, on the seed route and on v2 (BYTES)", async () => {
    const seed = (await (await api.app.request("/predictions/model0", jsonBody({ seq_0: question, seq_1: context }))).json()) as { detail: string };
    const v2 = (await (
      await api.app.request(
        "/v2/models/model0/infer",
        jsonBody({
          inputs: [
            { name: "seq_0", shape: [1], datatype: "BYTES", data: [question] },
            { name: "seq_1", shape: [1], datatype: "BYTES", data: [context] },
          ],
        }),
      )
    ).json()) as { outputs: { data: string[] }[] };
    const answer = seed.detail;
    expect(v2.outputs[0]!.data).toEqual([answer]);
    expect(context.includes(answer), `${JSON.stringify(answer)} is not a substring of the context`).toBe(true);
    expect(reference.encode(answer, { add_special_tokens: false }).ids).toEqual(await referenceSpanIds(question, context));
  });
});

function jsonBody(body: unknown) {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
