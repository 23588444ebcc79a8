export {
  type ApplyPatchOptions,
  type ApplyPatchResult,
  applyPatch,
  localFileSystem,
  type PatchFileSystem,
} from "./apply.ts";
export { ApplyPatchError } from "./error.ts";
export { type Hunk, parsePatch, type UpdateFileChunk } from "./parser.ts";
export { resolveInsideCwd } from "./resolve-path.ts";
export { seekSequence } from "./seek-sequence.ts";
export { formatApplyPatchSummary } from "./summary.ts";
