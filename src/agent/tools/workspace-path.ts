import { realpathSync } from "node:fs";
import path from "node:path";

/** A path the model named that lies outside the workspace; shown to the model as an observation. */
export class WorkspacePathError extends Error {
  override name = "WorkspacePathError";
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Resolves symlinks in the longest existing ancestor of `target`; missing parts are appended as named. */
function realpathOfExisting(target: string): string {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      return path.join(realpathSync(current), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      const parent = path.dirname(current);
      if (parent === current) return target;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Resolves a path the model gave (relative to `base`, or absolute) to a real absolute path inside
 * `root`. Absolute paths elsewhere, `..` escapes and symlinks pointing outside are refused, so the
 * tools can only name files of the workspace. The path need not exist yet (a file to be created). Synchronous, as apply_patch's resolver must be.
 *
 * @example
 * resolveWorkspacePath("/work/repo", "/work/repo/src", "../README.md"); // "/work/repo/README.md"
 * resolveWorkspacePath("/work/repo", "/work/repo", "/etc/passwd"); // throws WorkspacePathError
 */
export function resolveWorkspacePath(root: string, base: string, requested: string): string {
  if (requested.includes("\0"))
    throw new WorkspacePathError(`path ${JSON.stringify(requested)} contains a NUL byte`);
  const realRoot = realpathOfExisting(path.resolve(root));
  const lexical = path.resolve(base, requested);
  const lexicalRoot = path.resolve(root);
  if (!isInside(lexicalRoot, lexical) && !isInside(realRoot, lexical)) {
    throw new WorkspacePathError(
      `path ${JSON.stringify(requested)} is outside the workspace ${lexicalRoot}; use a path inside it`,
    );
  }
  const real = realpathOfExisting(lexical);
  if (!isInside(realRoot, real)) {
    throw new WorkspacePathError(
      `path ${JSON.stringify(requested)} resolves through a symlink to ${real}, outside the workspace ${lexicalRoot}`,
    );
  }
  return real;
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
