import { z } from "zod";
import { WorkspaceFileError } from "../workspace-files.ts";
import { defineTool } from "./tool.ts";
import { displayPath, resolveWorkspacePath } from "./workspace-path.ts";

const DEFAULT_LIMIT = 200;
const MAX_LINE_CHARS = 2000;
/** Larger files are refused rather than read whole into memory; a search or a range read is better. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

const schema = z.object({
  path: z.string().min(1).describe("The file, relative to the working folder."),
  offset: z.number().int().min(1).optional().describe("The first line to show, counting from 1. Default 1."),
  limit: z
    .number()
    .int()
    .min(1)
    .max(2000)
    .optional()
    .describe(`How many lines to show. Default ${DEFAULT_LIMIT}.`),
});

/** `read_file`: a range of a text file's lines, numbered, so the model can quote and patch them. */
export const readFileTool = defineTool({
  name: "read_file",
  description: `Read a text file's lines, numbered from 1. Shows ${DEFAULT_LIMIT} lines unless told otherwise; use offset to page.`,
  schema,
  async run({ path: requested, offset = 1, limit = DEFAULT_LIMIT }, context) {
    const file = resolveWorkspacePath(context.root, context.cwd, requested);
    const shown = displayPath(context.root, context.cwd, file);
    let bytes: Buffer;
    try {
      bytes = await context.runner.files.readFile(file, MAX_FILE_BYTES);
    } catch (error) {
      if (!(error instanceof WorkspaceFileError)) throw error;
      return { output: readFailure(shown, error), isError: true };
    }
    if (bytes.includes(0)) return { output: `${shown} looks like a binary file; not shown`, isError: true };
    const lines = bytes.toString("utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (lines.length === 0) return { output: `${shown} is empty` };
    if (offset > lines.length) {
      return {
        output: `${shown} has ${lines.length} lines; offset ${offset} is past the end`,
        isError: true,
      };
    }
    const end = Math.min(lines.length, offset - 1 + limit);
    const width = String(end).length;
    const numbered = lines.slice(offset - 1, end).map((line, index) => {
      const text = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… (line cut)` : line;
      return `${String(offset + index).padStart(width)}\t${text}`;
    });
    const more =
      end < lines.length
        ? `\n(lines ${offset}-${end} of ${lines.length}; use offset ${end + 1} for more)`
        : "";
    return { output: `${numbered.join("\n")}${more}` };
  },
});

function readFailure(shown: string, error: WorkspaceFileError): string {
  switch (error.code) {
    case "ENOENT":
    case "ENOTDIR":
      return `${shown}: no such file`;
    case "EISDIR":
      return `${shown} is a folder; use list_files to see it`;
    case "EFBIG":
      return `${shown} is too large to read (${error.message}); use search instead`;
    case "OUTSIDE":
      return `${shown}: ${error.message}`;
    default:
      return `${shown} could not be read: ${error.message}`;
  }
}
