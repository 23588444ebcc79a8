import path from "node:path";
import { type FileKind, WorkspaceFileError, type WorkspaceFiles } from "../workspace-files.ts";

/** A path the model named that lies outside the workspace; shown to the model as an observation. */
export class WorkspacePathError extends Error {
  override name = "WorkspacePathError";
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Resolves a path the model gave (relative to `base`, or absolute) to an absolute path inside
 * `root`, refusing absolute paths elsewhere and `..` escapes. Purely lexical — it never touches the
 * host's file system, so its answer tells nothing about what exists there. Symlinks are followed
 * (and confined again) by the file operations, which run inside the sandbox.
 *
 * @example
 * resolveWorkspacePath("/work/repo", "/work/repo/src", "../README.md"); // "/work/repo/README.md"
 * resolveWorkspacePath("/work/repo", "/work/repo", "/etc/passwd"); // throws WorkspacePathError
 */
export function resolveWorkspacePath(root: string, base: string, requested: string): string {
  if (requested.includes("\0"))
    throw new WorkspacePathError(`path ${JSON.stringify(requested)} contains a NUL byte`);
  const lexicalRoot = path.resolve(root);
  const lexical = path.resolve(base, requested);
  if (!isInside(lexicalRoot, lexical)) {
    throw new WorkspacePathError(
      `path ${JSON.stringify(requested)} is outside the workspace ${lexicalRoot}; use a path inside it`,
    );
  }
  return lexical;
}

/**
 * The path as the model should see it: relative to `base` when inside it, else relative to `root`.
 *
 * @example
 * displayPath("/w", "/w", "/w/src/a.ts"); // "src/a.ts"
 */
export function displayPath(root: string, base: string, absolute: string): string {
  const fromBase = path.relative(base, absolute);
  if (!fromBase.startsWith("..") && !path.isAbsolute(fromBase)) return fromBase === "" ? "." : fromBase;
  return path.relative(root, absolute) || ".";
}

/** What a tool found at a path: a kind, nothing, or a refusal (a symlink leading outside…). */
export type LookedUp = { kind: FileKind } | { kind: "missing" } | { kind: "refused"; reason: string };

/**
 * Looks a path up through the workspace's files (inside the sandbox), turning a refusal into a
 * value the tool can show the model.
 *
 * @example
 * const found = await lookUp(context.runner.files, "/w/src");
 * if (found.kind === "refused") return { output: found.reason, isError: true };
 */
export async function lookUp(files: WorkspaceFiles, target: string): Promise<LookedUp> {
  try {
    const info = await files.stat(target);
    return info === undefined ? { kind: "missing" } : { kind: info.kind };
  } catch (error) {
    if (error instanceof WorkspaceFileError) return { kind: "refused", reason: error.message };
    throw error;
  }
}
