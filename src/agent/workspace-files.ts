/** How the file tools reach the workspace; the sandbox (src/workspace/) provides the real one. */

export type FileKind = "file" | "directory" | "symlink" | "other";

/** One entry of a listed tree, its path relative to the listed folder. */
export type TreeEntry = { path: string; kind: FileKind; level: number };

/**
 * A file operation the workspace refused or that failed; `code` is an errno name (`ENOENT`,
 * `EISDIR`…), `OUTSIDE` for a path leading out of the workspace, or `EFBIG` for a file over the cap.
 */
export class WorkspaceFileError extends Error {
  override name = "WorkspaceFileError";
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * File access to the workspace, by absolute path. The real implementation runs every operation
 * inside the same sandbox as the agent's commands, so a symlink or a hostile path can reach
 * nothing a command could not.
 */
export interface WorkspaceFiles {
  /** What is at `path` (symlinks are not followed), or undefined when nothing is. */
  stat(path: string): Promise<{ kind: FileKind; size: number } | undefined>;
  /** The file's bytes; throws WorkspaceFileError `EFBIG` when it is larger than `maxBytes`. */
  readFile(path: string, maxBytes: number): Promise<Buffer>;
  /** The tree under a folder, breadth-limited; folders named in `notOpened` are listed, not entered. */
  listTree(
    path: string,
    options: { depth: number; maxEntries: number; notOpened: string[] },
  ): Promise<{ entries: TreeEntry[]; omitted: number }>;
  /** Writes a file, creating the folders on the way. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Deletes a file (never a folder). */
  removeFile(path: string): Promise<void>;
}
