import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { defineTool } from "./tool.ts";
import { displayPath, resolveWorkspacePath } from "./workspace-path.ts";

const MAX_ENTRIES = 1000;
/** Folders whose contents are noise for the model; shown, but not opened. */
const NOT_OPENED = new Set([".git", "node_modules"]);

const schema = z.object({
  path: z.string().optional().describe("The folder to list, relative to the working folder. Default: it."),
  depth: z.number().int().min(1).max(10).optional().describe("How many levels down to go. Default 2."),
});

/** `list_files`: the tree under a folder, folders marked with `/` and symlinks with `@`. */
export const listFilesTool = defineTool({
  name: "list_files",
  description:
    "List the files and folders under a folder, indented by level (folders end with /, symlinks with @). .git and node_modules are not opened.",
  schema,
  async run({ path: requested = ".", depth = 2 }, context) {
    const folder = resolveWorkspacePath(context.root, context.cwd, requested);
    const info = await stat(folder).catch(() => undefined);
    const shown = displayPath(context.root, context.cwd, folder);
    if (!info) return { output: `${shown}: no such folder`, isError: true };
    if (!info.isDirectory()) return { output: `${shown} is a file; use read_file to see it`, isError: true };
    const lines: string[] = [];
    let omitted = 0;
    const walk = async (dir: string, level: number): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        if (lines.length >= MAX_ENTRIES) {
          omitted += 1;
          continue;
        }
        const suffix = entry.isDirectory() ? "/" : entry.isSymbolicLink() ? "@" : "";
        lines.push(`${"  ".repeat(level)}${entry.name}${suffix}`);
        if (entry.isDirectory() && level + 1 < depth && !NOT_OPENED.has(entry.name)) {
          await walk(path.join(dir, entry.name), level + 1);
        }
      }
    };
    await walk(folder, 0);
    if (lines.length === 0) return { output: `${shown} is empty` };
    const tail = omitted > 0 ? `\n(${omitted} more entries not listed; list a subfolder)` : "";
    return { output: `${shown}/\n${lines.map((line) => `  ${line}`).join("\n")}${tail}` };
  },
});
