// A loopback stand-in for the Hugging Face hub: a real node:http server answering the endpoints @huggingface/hub
// 2.17 calls, with the hub's headers and error codes (checked against node_modules/@huggingface/hub/dist/index.js:
// modelInfo, listFiles, fileDownloadInfo/downloadFile/WebBlob, fileExists, pathsInfo).
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CheckpointFiles } from "./hf-checkpoint.js";

/** One request as the hub saw it. */
export interface HubRequest {
  readonly method: string;
  /** Path and query, decoded as sent. */
  readonly url: string;
  readonly range?: string;
  readonly authorization?: string;
}

export interface FakeRepoOptions {
  /** The branch the commit goes on (default main). */
  readonly branch?: string;
  /** Files need a token (401 GatedRepo without one); the model info stays public, as on the hub. */
  readonly gated?: boolean;
  /** Like an unknown repo to anyone without the token. */
  readonly private?: boolean;
}

interface StoredFile {
  readonly content: Buffer;
  /** git blob id, the ETag of a small file. */
  readonly oid: string;
  /** sha256, the ETag of an LFS file; absent for files kept in git. */
  readonly lfsOid?: string;
}

interface Repo {
  readonly id: string;
  readonly commits: Map<string, Map<string, StoredFile>>;
  readonly refs: Map<string, string>;
  gated: boolean;
  isPrivate: boolean;
}

/** Files the hub keeps in LFS (by the .gitattributes every new repo gets); they are answered with a 302 to the CDN. */
const LFS_FILE = /\.(safetensors|bin|onnx|onnx_data|h5|msgpack|ot)$/;

export class FakeHub {
  readonly requests: HubRequest[] = [];
  private readonly repos = new Map<string, Repo>();
  private readonly blobs = new Map<string, Buffer>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** Entries per page of the tree listing (the hub pages by Link headers). */
    private readonly pageSize: number,
    /** The one token that reads private and gated repos. */
    readonly token: string,
  ) {}

  static async start(options: { pageSize?: number; token?: string } = {}): Promise<FakeHub> {
    const holder: { hub?: FakeHub } = {};
    const server = createServer((request, response) => {
      holder.hub!.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendError(response, 500, "InternalError", String(error));
        else response.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    holder.hub = new FakeHub(server, `http://127.0.0.1:${port}`, options.pageSize ?? 1000, options.token ?? "hf_fake_test_token");
    return holder.hub;
  }

  /** Adds a commit with these files on a branch (creating the repo); returns its 40-hex commit id. */
  addCommit(repoId: string, files: CheckpointFiles, options: FakeRepoOptions = {}): string {
    const repo = this.repos.get(repoId) ?? { id: repoId, commits: new Map(), refs: new Map(), gated: false, isPrivate: false };
    this.repos.set(repoId, repo);
    repo.gated = options.gated ?? repo.gated;
    repo.isPrivate = options.private ?? repo.isPrivate;
    const stored = new Map<string, StoredFile>();
    const commitHash = createHash("sha1").update(repoId).update(String(repo.commits.size));
    for (const [path, content] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
      // Byte order, as git sorts a tree.
      const oid = createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
      const lfsOid = LFS_FILE.test(path) ? createHash("sha256").update(content).digest("hex") : undefined;
      if (lfsOid) this.blobs.set(lfsOid, content);
      stored.set(path, { content, oid, ...(lfsOid ? { lfsOid } : {}) });
      commitHash.update(path).update(oid);
    }
    const commit = commitHash.digest("hex");
    repo.commits.set(commit, stored);
    repo.refs.set(options.branch ?? "main", commit);
    return commit;
  }

  /** Requests whose path starts with this (e.g. "/api/models/org/name/revision/main"). */
  requestsTo(prefix: string): HubRequest[] {
    return this.requests.filter((r) => r.url.startsWith(prefix));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.url);
    const path = decodeURIComponent(url.pathname);
    this.requests.push({
      method: request.method ?? "GET",
      url: `${path}${url.search}`,
      ...(request.headers.range ? { range: request.headers.range } : {}),
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
    });
    const authorized = request.headers.authorization === `Bearer ${this.token}`;
    let match: RegExpMatchArray | null;
    if ((match = path.match(/^\/cdn\/([0-9a-f]{64})$/))) return this.sendContent(request, response, this.blobs.get(match[1]!), { ETag: `"${match[1]}"` });
    if ((match = path.match(/^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/))) {
      const found = this.lookup(response, match[1]!, match[2]!, authorized, false);
      if (found) sendJson(response, 200, this.modelInfo(found.repo, found.commit));
      return;
    }
    if ((match = path.match(/^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/))) {
      const found = this.lookup(response, match[1]!, match[2]!, authorized, false);
      if (found) this.sendTree(response, url, found.repo, found.commit, match[3] ?? "", url.searchParams.get("recursive") === "true");
      return;
    }
    if (request.method === "POST" && (match = path.match(/^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/(.+)$/))) {
      const found = this.lookup(response, match[1]!, match[2]!, authorized, true);
      if (!found) return;
      const body = JSON.parse(await readBody(request)) as { paths?: string[] };
      const files = found.repo.commits.get(found.commit)!;
      sendJson(
        response,
        200,
        (body.paths ?? []).filter((p) => files.has(p)).map((p) => treeEntry(p, files.get(p)!)),
      );
      return;
    }
    if ((match = path.match(/^\/([^/]+\/[^/]+)\/(resolve|raw)\/([^/]+)\/(.+)$/))) {
      const found = this.lookup(response, match[1]!, match[3]!, authorized, true);
      if (!found) return;
      const file = found.repo.commits.get(found.commit)!.get(match[4]!);
      if (!file) return sendError(response, 404, "EntryNotFound", `${match[4]} does not exist on "${match[3]}"`);
      const headers = { "X-Repo-Commit": found.commit, ETag: `"${file.oid}"` };
      if (file.lfsOid && match[2] === "resolve") {
        response.writeHead(302, {
          ...headers,
          Location: `${this.url}/cdn/${file.lfsOid}`,
          "X-Linked-ETag": `"${file.lfsOid}"`,
          "X-Linked-Size": String(file.content.length),
          "Content-Length": "0",
        });
        response.end();
        return;
      }
      return this.sendContent(request, response, file.content, headers);
    }
    sendError(response, 404, "NotFound", `No route for ${request.method} ${path}`);
  }

  /**
   * The repo and commit a request names, or an error answered the hub's way: an unknown (or private) repo is
   * 401 without a token and 404 with one, both RepositoryNotFound; an unknown revision 404 RevisionNotFound;
   * a gated repo's files 401 GatedRepo without a token.
   */
  private lookup(response: ServerResponse, repoId: string, revision: string, authorized: boolean, files: boolean): { repo: Repo; commit: string } | undefined {
    const repo = this.repos.get(repoId);
    if (!repo || (repo.isPrivate && !authorized)) {
      sendError(response, authorized ? 404 : 401, "RepositoryNotFound", "Repository not found");
      return undefined;
    }
    if (files && repo.gated && !authorized) {
      sendError(
        response,
        401,
        "GatedRepo",
        `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      );
      return undefined;
    }
    const commit = repo.refs.get(revision === "HEAD" ? "main" : revision) ?? (repo.commits.has(revision) ? revision : undefined);
    if (!commit) {
      sendError(response, 404, "RevisionNotFound", `Invalid rev id: ${revision}`);
      return undefined;
    }
    return { repo, commit };
  }

  private modelInfo(repo: Repo, commit: string): object {
    return {
      _id: createHash("sha1").update(repo.id).digest("hex").slice(0, 24),
      id: repo.id,
      modelId: repo.id,
      sha: commit,
      private: repo.isPrivate,
      gated: repo.gated ? "auto" : false,
      disabled: false,
      downloads: 0,
      likes: 0,
      lastModified: "2026-01-01T00:00:00.000Z",
      library_name: "transformers",
      tags: ["transformers", "safetensors", "bert"],
      siblings: [...repo.commits.get(commit)!.keys()].map((rfilename) => ({ rfilename })),
    };
  }

  /** GET /api/models/R/tree/REV[/PATH]: entries (files and folders), paged by a Link header with rel="next". */
  private sendTree(response: ServerResponse, url: URL, repo: Repo, commit: string, under: string, recursive: boolean): void {
    const files = repo.commits.get(commit)!;
    const prefix = under ? `${under.replace(/\/$/, "")}/` : "";
    const entries: object[] = [];
    const folders = new Set<string>();
    for (const [path, file] of files) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const parts = rest.split("/");
      for (let depth = 1; depth < parts.length && (recursive || depth === 1); depth++) {
        const folder = prefix + parts.slice(0, depth).join("/");
        if (!folders.has(folder)) entries.push({ type: "directory", oid: createHash("sha1").update(folder).digest("hex"), size: 0, path: folder });
        folders.add(folder);
      }
      if (recursive || parts.length === 1) entries.push(treeEntry(path, file));
    }
    const cursor = Number(url.searchParams.get("cursor") ?? "0");
    const page = entries.slice(cursor, cursor + this.pageSize);
    const headers: Record<string, string> = {};
    if (cursor + this.pageSize < entries.length) {
      const next = new URL(url.href);
      next.searchParams.set("cursor", String(cursor + this.pageSize));
      headers["Link"] = `<${next.href}>; rel="next"`;
    }
    sendJson(response, 200, page, headers);
  }

  /** A file's bytes, honouring `Range: bytes=a-b` with 206 and Content-Range as the hub and its CDN do; HEAD gets the headers only. */
  private sendContent(request: IncomingMessage, response: ServerResponse, content: Buffer | undefined, headers: Record<string, string>): void {
    if (!content) return sendError(response, 404, "EntryNotFound", "No such object");
    const base = { ...headers, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream" };
    const range = request.headers.range?.match(/^bytes=(\d+)-(\d*)$/);
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(range[2] ? Number(range[2]) : content.length - 1, content.length - 1);
      response.writeHead(206, { ...base, "Content-Range": `bytes ${start}-${end}/${content.length}`, "Content-Length": String(end - start + 1) });
      response.end(request.method === "HEAD" ? undefined : content.subarray(start, end + 1));
      return;
    }
    response.writeHead(200, { ...base, "Content-Length": String(content.length) });
    response.end(request.method === "HEAD" ? undefined : content);
  }
}

function treeEntry(path: string, file: StoredFile): object {
  return {
    type: "file",
    oid: file.oid,
    size: file.content.length,
    path,
    ...(file.lfsOid ? { lfs: { oid: file.lfsOid, size: file.content.length, pointerSize: 134 } } : {}),
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)) });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, { error: message }, { "X-Error-Code": code, "X-Error-Message": message });
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
