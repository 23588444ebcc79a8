import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { ApplyPatchError } from "./error.ts";
import { type Hunk, parsePatch } from "./parser.ts";
import { resolveInsideCwd } from "./resolve-path.ts";
import { changeLines } from "./summary.ts";
import { updateFileContents } from "./update-file.ts";

/** The paths a patch touched, relative as written in the patch, each list in patch order. */
export type ApplyPatchResult = { added: string[]; modified: string[]; deleted: string[] };

/** The file operations a patch needs; the agent passes ones that run inside its sandbox. */
export type PatchFileSystem = {
  read(target: string): Promise<Uint8Array>;
  /** Writes the file, creating the folders on the way. */
  write(target: string, contents: string): Promise<void>;
  /** Deletes a file; deleting a folder is an error. */
  remove(target: string): Promise<void>;
};

export type ApplyPatchOptions = {
  /** The directory patch paths are relative to. */
  cwd: string;
  /** Maps a patch path to the absolute path to touch, throwing to refuse it (default: resolveInsideCwd). */
  resolvePath?: (relativePath: string) => string;
  /** Where the files are read and written (default: this process's file system). */
  files?: PatchFileSystem;
};

/**
 * The patch engine's file operations on this process's own file system, for `loopwright apply-patch`
 * run by a person on their own files.
 */
export const localFileSystem: PatchFileSystem = {
  read: (target) => readFile(target),
  async write(target, contents) {
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, contents);
  },
  // unlink, never a recursive remove: deleting a directory is an error, as in the reference.
  remove: (target) => unlink(target),
};

/** A hunk with its paths resolved to where they live on disk. */
type Operation = { hunk: Hunk; target: string; destination: string | undefined };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const ioReasons: Record<string, string> = {
  ENOENT: "no such file or directory",
  EISDIR: "is a directory",
  EEXIST: "a file is in the way of a folder on its path",
  ENOTDIR: "a parent path is not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
};

function ioReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === undefined ? undefined : ioReasons[code];
  return reason ?? (error instanceof Error ? error.message : String(error));
}

/** Runs a filesystem step, turning its failure into an ApplyPatchError that says what was being done. */
async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ApplyPatchError) throw error;
    throw new ApplyPatchError(`${what}: ${ioReason(error)}`, { cause: error });
  }
}

function resolveWith(resolvePath: (relativePath: string) => string, relativePath: string): string {
  try {
    return resolvePath(relativePath);
  } catch (error) {
    if (error instanceof ApplyPatchError) throw error;
    throw new ApplyPatchError(`${relativePath}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

async function readText(files: PatchFileSystem, target: string, shownPath: string): Promise<string> {
  const bytes = await step(`Failed to read file to update ${shownPath}`, () => files.read(target));
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ApplyPatchError(`Failed to read file to update ${shownPath}: it is not UTF-8 text`);
  }
}

async function applyOperation(
  files: PatchFileSystem,
  operation: Operation,
  result: ApplyPatchResult,
): Promise<void> {
  const { hunk, target, destination } = operation;
  switch (hunk.type) {
    case "add":
      await step(`Failed to write file ${hunk.path}`, () => files.write(target, hunk.contents));
      result.added.push(hunk.path);
      return;
    case "delete":
      await step(`Failed to delete file ${hunk.path}`, () => files.remove(target));
      result.deleted.push(hunk.path);
      return;
    case "update": {
      const contents = updateFileContents(await readText(files, target, hunk.path), hunk.chunks, hunk.path);
      if (destination === undefined || hunk.movePath === undefined || destination === target) {
        await step(`Failed to write file ${hunk.path}`, () => files.write(target, contents));
        result.modified.push(hunk.path);
        return;
      }
      await step(`Failed to write file ${hunk.movePath}`, () => files.write(destination, contents));
      await step(`Failed to remove original ${hunk.path}`, () => files.remove(target));
      result.modified.push(hunk.movePath);
      return;
    }
  }
}

/**
 * Applies Codex patch text to the files under `options.cwd`, one hunk after another, as codex-rs's
 * `apply_patch` does. Every path is resolved (and confined) before anything is written. A failure
 * throws an ApplyPatchError; hunks applied before it stay on disk, and the message lists them.
 *
 * @example
 * const result = await applyPatch("*** Begin Patch\n*** Add File: hi.txt\n+hello\n*** End Patch\n", { cwd: "/repo" });
 * // result → { added: ["hi.txt"], modified: [], deleted: [] }
 */
export async function applyPatch(patchText: string, options: ApplyPatchOptions): Promise<ApplyPatchResult> {
  const hunks = parsePatch(patchText);
  if (hunks.length === 0) {
    throw new ApplyPatchError(
      "No files were modified: the patch contains no Add, Delete or Update File hunk",
    );
  }
  const resolvePath = options.resolvePath ?? ((relativePath) => resolveInsideCwd(options.cwd, relativePath));
  const operations: Operation[] = hunks.map((hunk) => ({
    hunk,
    target: resolveWith(resolvePath, hunk.path),
    destination:
      hunk.type === "update" && hunk.movePath !== undefined
        ? resolveWith(resolvePath, hunk.movePath)
        : undefined,
  }));
  const result: ApplyPatchResult = { added: [], modified: [], deleted: [] };
  for (const operation of operations) {
    try {
      await applyOperation(options.files ?? localFileSystem, operation, result);
    } catch (error) {
      const applied = changeLines(result);
      if (!(error instanceof ApplyPatchError) || applied === "") throw error;
      throw new ApplyPatchError(
        `${error.message}\nChanges applied before this failure remain on disk:\n${applied.trimEnd()}`,
        { cause: error },
      );
    }
  }
  return result;
}
