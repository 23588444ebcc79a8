import path from "node:path";
import { ApplyPatchError } from "./error.ts";

/**
 * Resolves a patch path against `cwd`, refusing absolute paths, paths that climb out of `cwd` with `..`,
 * and paths that name `cwd` itself. Purely lexical: symlinks are the caller's concern.
 *
 * @example
 * resolveInsideCwd("/repo", "src/a.ts"); // → "/repo/src/a.ts"
 * resolveInsideCwd("/repo", "../etc/passwd"); // throws ApplyPatchError
 */
export function resolveInsideCwd(cwd: string, relativePath: string): string {
  if (path.isAbsolute(relativePath)) {
    throw new ApplyPatchError(
      `${relativePath}: absolute paths are not allowed; use a path relative to the working directory`,
    );
  }
  const root = path.resolve(cwd);
  const resolved = path.resolve(root, relativePath);
  const inside = path.relative(root, resolved);
  if (inside === "") {
    throw new ApplyPatchError(`'${relativePath}' names the working directory itself, not a file`);
  }
  if (inside === ".." || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    throw new ApplyPatchError(`${relativePath}: path escapes the working directory`);
  }
  return resolved;
}
