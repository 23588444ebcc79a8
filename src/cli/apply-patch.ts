import { text } from "node:stream/consumers";
import { applyPatch, formatApplyPatchSummary } from "../agent/apply-patch/index.ts";
import { defineCommand, UsageError } from "./command.ts";

export const applyPatchCommand = defineCommand({
  name: "apply-patch",
  usage: `
Usage: loopwright apply-patch < change.patch

Reads a patch in the Codex apply_patch format on stdin and applies it to the files under the
current directory, as the agent's apply_patch tool does. Paths must be relative and stay inside
the current directory. Prints the changed files (A added, M modified, D deleted) and exits 0; on
failure prints why to stderr and exits 1 (hunks applied before the failure stay on disk).
See docs/apply-patch.md for the format.`,
  options: {},
  async run() {
    // Reading a terminal would wait for typing; a patch is meant to be piped or redirected.
    if (process.stdin.isTTY)
      throw new UsageError("expects a patch on stdin (loopwright apply-patch < change.patch)");
    const patch = await text(process.stdin);
    if (patch.trim() === "") {
      throw new Error("no patch on stdin: pipe one in, e.g. loopwright apply-patch < change.patch");
    }
    const result = await applyPatch(patch, { cwd: process.cwd() });
    process.stdout.write(formatApplyPatchSummary(result));
    return 0;
  },
});
