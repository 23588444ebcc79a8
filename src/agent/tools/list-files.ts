import { z } from "zod";
import { defineTool } from "./tool.ts";
import { displayPath, lookUp, resolveWorkspacePath } from "./workspace-path.ts";

const MAX_ENTRIES = 1000;
/** Folders whose contents are noise for the model; shown, but not opened. */
const NOT_OPENED = [".git", "node_modules"];

const schema = z.object({
  path: z.string().optional().describe("The folder to list, relative to the working folder. Default: it."),
  depth: z.number().int().min(1).max(10).optional().describe("How many levels down to go. Default 2."),
});

const SUFFIX = { directory: "/", symlink: "@", file: "", other: "" } as const;

/** `list_files`: the tree under a folder, folders marked with `/` and symlinks with `@`. */
export const listFilesTool = defineTool({
  name: "list_files",
  description:
    "List the files and folders under a folder, indented by level (folders end with /, symlinks with @). .git and node_modules are not opened.",
  schema,
  async run({ path: requested = ".", depth = 2 }, context) {
    const folder = resolveWorkspacePath(context.root, context.cwd, requested);
    const shown = displayPath(context.root, context.cwd, folder);
    const found = await lookUp(context.runner.files, folder);
    if (found.kind === "missing") return { output: `${shown}: no such folder`, isError: true };
    if (found.kind === "refused") return { output: `${shown}: ${found.reason}`, isError: true };
    if (found.kind === "file")
      return { output: `${shown} is a file; use read_file to see it`, isError: true };
    const { entries, omitted } = await context.runner.files.listTree(folder, {
      depth,
      maxEntries: MAX_ENTRIES,
      notOpened: NOT_OPENED,
    });
    if (entries.length === 0) return { output: `${shown} is empty` };
    const lines = entries.map((entry) => {
      const name = entry.path.split("/").at(-1) ?? entry.path;
      return `  ${"  ".repeat(entry.level)}${name}${SUFFIX[entry.kind]}`;
    });
    const tail = omitted > 0 ? `\n(${omitted} more entries not listed; list a subfolder)` : "";
    return { output: `${shown}/\n${lines.join("\n")}${tail}` };
  },
});
