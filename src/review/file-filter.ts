import picomatch from "picomatch";
import type { DiffFile } from "./pull-diff.ts";

/** A file of the diff the review leaves out, and why (listed in the summary, never silently). */
export type SkippedFile = { path: string; reason: string };

const LOCKFILES = new Set([
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "bun.lock",
  "Cargo.lock",
  "Gemfile.lock",
  "composer.lock",
  "poetry.lock",
  "Pipfile.lock",
  "uv.lock",
  "pdm.lock",
  "go.sum",
  "mix.lock",
  "pubspec.lock",
  "Podfile.lock",
  "packages.lock.json",
  "flake.lock",
  "gradle.lockfile",
]);

const VENDORED = /(^|\/)(vendor|node_modules|third[_-]party|bower_components|\.yarn)\//;
const GENERATED_PATH =
  /(\.pb\.go|_pb2\.pyi?|\.pb\.(cc|h)|\.generated\.\w+|\.g\.dart|\.designer\.cs|_generated\.\w+)$|(^|\/)(__generated__|__snapshots__)\//;
const GENERATED_HEADER = /@generated|code generated .*do not edit|auto-?generated|this file was generated/i;
const MINIFIED_PATH = /\.min\.(js|mjs|css)$|-min\.js$|\.bundle\.js$/;
/** An added line this long is not hand-written code. */
const MINIFIED_LINE = 1_000;

function generatedByHeader(file: DiffFile): boolean {
  for (let line = 1; line <= 5; line++) {
    const text = file.lines.RIGHT.get(line);
    if (text !== undefined && GENERATED_HEADER.test(text)) return true;
  }
  return false;
}

const minifiedContent = (file: DiffFile): boolean =>
  [...file.lines.RIGHT.values()].some((line) => line.length > MINIFIED_LINE);

/**
 * Why a changed file is not worth a reviewer's attention, or undefined when it is reviewed: a
 * lockfile, vendored code, a generated file (by name or by its header), minified code, a binary
 * file, or a path matching one of the repository's `review.ignore` globs.
 *
 * @example
 * skipReason(file, ["docs/**"]); // "matches review.ignore docs/**"
 */
export function skipReason(file: DiffFile, ignore: readonly string[]): string | undefined {
  const name = file.path.split("/").pop() ?? file.path;
  if (file.binary) return "binary file";
  if (LOCKFILES.has(name)) return "lockfile";
  if (VENDORED.test(file.path)) return "vendored code";
  if (MINIFIED_PATH.test(file.path) || minifiedContent(file)) return "minified code";
  if (GENERATED_PATH.test(file.path) || generatedByHeader(file)) return "generated file";
  const glob = ignore.find((pattern) => picomatch.isMatch(file.path, pattern, { dot: true }));
  if (glob !== undefined) return `matches review.ignore ${glob}`;
  return undefined;
}

/**
 * Splits a pull request's files into those the model reviews and those left out with the reason.
 *
 * @example
 * const { reviewed, skipped } = partitionFiles(files, config.review.ignore);
 */
export function partitionFiles(
  files: readonly DiffFile[],
  ignore: readonly string[],
): { reviewed: DiffFile[]; skipped: SkippedFile[] } {
  const reviewed: DiffFile[] = [];
  const skipped: SkippedFile[] = [];
  for (const file of files) {
    const reason = skipReason(file, ignore);
    if (reason === undefined) reviewed.push(file);
    else skipped.push({ path: file.path, reason });
  }
  return { reviewed, skipped };
}
