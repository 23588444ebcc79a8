import { z } from "zod";
import {
  ApplyPatchError,
  applyPatch,
  formatApplyPatchSummary,
  type PatchFileSystem,
} from "../apply-patch/index.ts";
import type { WorkspaceFiles } from "../workspace-files.ts";
import { defineTool } from "./tool.ts";
import { resolveWorkspacePath } from "./workspace-path.ts";

const schema = z.object({
  input: z.string().min(1).describe("The whole patch, from *** Begin Patch to *** End Patch."),
});

/** The largest file a patch may update (it is read whole). */
const MAX_PATCHED_FILE_BYTES = 16 * 1024 * 1024;

/** The patch engine's reads and writes, done by the workspace's files (inside the sandbox). */
function patchFileSystem(files: WorkspaceFiles): PatchFileSystem {
  return {
    read: (target) => files.readFile(target, MAX_PATCHED_FILE_BYTES),
    write: (target, contents) => files.writeFile(target, contents),
    remove: (target) => files.removeFile(target),
  };
}

/** `apply_patch`: edits files with a Codex-format patch, paths confined to the workspace. */
export const applyPatchTool = defineTool({
  name: "apply_patch",
  description:
    "Edit files with a patch: *** Begin Patch, then *** Add File / *** Delete File / *** Update File hunks (optional *** Move to:, @@ context anchors, lines starting with space, - or +), then *** End Patch.",
  schema,
  async run({ input }, context) {
    try {
      const result = await applyPatch(input, {
        cwd: context.cwd,
        resolvePath: (relativePath) => resolveWorkspacePath(context.root, context.cwd, relativePath),
        files: patchFileSystem(context.runner.files),
      });
      return { output: formatApplyPatchSummary(result).trimEnd() };
    } catch (error) {
      if (!(error instanceof ApplyPatchError)) throw error;
      return { output: `apply_patch failed: ${error.message}`, isError: true };
    }
  },
});
