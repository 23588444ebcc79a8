import { z } from "zod";
import { ApplyPatchError, applyPatch, formatApplyPatchSummary } from "../apply-patch/index.ts";
import { defineTool } from "./tool.ts";
import { resolveWorkspacePath } from "./workspace-path.ts";

const schema = z.object({
  input: z.string().min(1).describe("The whole patch, from *** Begin Patch to *** End Patch."),
});

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
      });
      return { output: formatApplyPatchSummary(result).trimEnd() };
    } catch (error) {
      if (!(error instanceof ApplyPatchError)) throw error;
      return { output: `apply_patch failed: ${error.message}`, isError: true };
    }
  },
});
