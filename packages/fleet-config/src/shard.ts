// Which server owns which model in a many-model fleet: rendezvous (highest random weight) hashing.
// Pure JS with no node imports, because the k6 bundle routes requests with it too.

/** 32-bit FNV-1a over the UTF-16 code units of `text`, finished with a murmur3 mix so close inputs spread. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function checkServers(numServers: number): void {
  if (!Number.isInteger(numServers) || numServers < 1) throw new Error(`The number of servers must be a whole number of at least 1, got ${numServers}.`);
}

/**
 * The index (0..numServers-1) of the server that owns `modelName`: the server with the highest
 * hash(model, server). Adding a server moves only the models the new server wins (about 1/n of them).
 */
export function shardOwner(modelName: string, numServers: number): number {
  checkServers(numServers);
  let owner = 0;
  let best = -1;
  for (let server = 0; server < numServers; server++) {
    const weight = fnv1a32(`${modelName}\u0000${server}`);
    if (weight > best) {
      best = weight;
      owner = server;
    }
  }
  return owner;
}

/** The models of `models` that server `index` of `numServers` serves, in their original order. */
export function modelsForShard(models: readonly string[], index: number, numServers: number): string[] {
  checkServers(numServers);
  if (!Number.isInteger(index) || index < 0 || index >= numServers) throw new Error(`The shard index must be from 0 to ${numServers - 1}, got ${index}.`);
  return models.filter((model) => shardOwner(model, numServers) === index);
}

/** Repository model names as model-zoo's generate-many writes them: `${prefix}0`..`${prefix}${count - 1}`. */
export function repositoryModelNames(count: number, prefix = "model"): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}
