/**
 * Why a patch could not be parsed or applied. The message is written for the model that sent the
 * patch: it names the file and the context lines that were not found, or the parse problem and its line.
 *
 * @example
 * throw new ApplyPatchError("Failed to find context 'def f():' in src/app.py");
 */
export class ApplyPatchError extends Error {
  override name = "ApplyPatchError";
}
