import path from "node:path";
import { WorkspaceFileError, type WorkspaceFiles } from "./workspace-files.ts";

/** The most project instructions given to the model, in bytes, as Codex caps them. */
export const AGENTS_MD_MAX_BYTES = 32 * 1024;
/** A larger AGENTS.md is not read at all: it could not be given whole anyway. */
const MAX_READ_BYTES = 1024 * 1024;

/** The folders from `root` down to `cwd`, both included. */
function foldersDown(root: string, cwd: string): string[] {
  const relative = path.relative(root, cwd);
  const parts = relative === "" ? [] : relative.split(path.sep);
  return [root, ...parts.map((_, index) => path.join(root, ...parts.slice(0, index + 1)))];
}

/**
 * Reads the `AGENTS.md` files from the workspace root down to the working folder, each wrapped
 * with the folder it came from, together at most `maxBytes` (the deepest are cut, as they come
 * last). They are read through `files` (inside the sandbox), so an `AGENTS.md` that is a symlink out of
 * the workspace reads nothing of the host; such a file, or one that cannot be read, is skipped.
 * Resolves to "" when there is none.
 *
 * @example
 * await collectAgentsMd(sandbox.files, "/work/repo", "/work/repo/packages/api");
 * // '<agents_md folder=".">\n…\n</agents_md>\n\n<agents_md folder="packages/api">\n…\n</agents_md>'
 */
export async function collectAgentsMd(
  files: WorkspaceFiles,
  root: string,
  cwd: string,
  maxBytes = AGENTS_MD_MAX_BYTES,
): Promise<string> {
  const blocks: string[] = [];
  let remaining = maxBytes;
  for (const folder of foldersDown(root, cwd)) {
    if (remaining <= 0) break;
    let text: string;
    try {
      text = (await files.readFile(path.join(folder, "AGENTS.md"), MAX_READ_BYTES)).toString("utf8");
    } catch (error) {
      if (error instanceof WorkspaceFileError) continue;
      throw error;
    }
    const bytes = Buffer.from(text.trim(), "utf8");
    if (bytes.length === 0) continue;
    const kept =
      bytes.length > remaining
        ? `${bytes
            .subarray(0, remaining)
            .toString("utf8")
            .replace(/\uFFFD$/, "")}\n[… cut at the ${maxBytes}-byte limit]`
        : bytes.toString("utf8");
    remaining -= bytes.length;
    blocks.push(`<agents_md folder="${path.relative(root, folder) || "."}">\n${kept}\n</agents_md>`);
  }
  return blocks.join("\n\n");
}
