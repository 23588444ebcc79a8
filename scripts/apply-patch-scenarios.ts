import { cp, lstat, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { applyPatch } from "../src/agent/apply-patch/index.ts";

/** What one path in a tree is: a directory, a file's bytes, or a symlink's target. */
type Entry = { kind: "dir" } | { kind: "file"; bytes: Buffer } | { kind: "symlink"; target: string };

export type ScenarioOutcome = {
  name: string;
  /** How the final tree differs from `expected/` (empty when the scenario passes). */
  problems: string[];
  /** The message applyPatch failed with, if it did. */
  error: string | undefined;
};

async function exists(target: string): Promise<boolean> {
  return lstat(target).then(
    () => true,
    () => false,
  );
}

/** Every path under `root` (relative, `/`-separated), directories included; a missing root is empty. */
async function snapshot(root: string): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  if (!(await exists(root))) return entries;
  for (const relative of await readdir(root, { recursive: true })) {
    const full = path.join(root, relative);
    const stats = await lstat(full);
    const key = relative.split(path.sep).join("/");
    if (stats.isSymbolicLink()) entries.set(key, { kind: "symlink", target: await readlink(full) });
    else if (stats.isDirectory()) entries.set(key, { kind: "dir" });
    else entries.set(key, { kind: "file", bytes: await readFile(full) });
  }
  return entries;
}

function compareTrees(actual: Map<string, Entry>, expected: Map<string, Entry>): string[] {
  const problems: string[] = [];
  for (const [key, want] of expected) {
    const got = actual.get(key);
    if (got === undefined) problems.push(`missing ${want.kind} ${key}`);
    else if (got.kind !== want.kind) problems.push(`${key} is a ${got.kind}, expected a ${want.kind}`);
    else if (got.kind === "file" && want.kind === "file" && !got.bytes.equals(want.bytes)) {
      problems.push(`${key} has different contents: ${JSON.stringify(got.bytes.toString("utf8"))}`);
    } else if (got.kind === "symlink" && want.kind === "symlink" && got.target !== want.target) {
      problems.push(`${key} points to ${got.target}, expected ${want.target}`);
    }
  }
  for (const [key, got] of actual) {
    if (!expected.has(key)) problems.push(`unexpected ${got.kind} ${key}`);
  }
  return problems;
}

/**
 * The scenario folders (`NNN_name/`) directly under `root`, sorted by name;
 * undefined when `root` does not exist.
 *
 * @example
 * const scenarios = await listScenarios("../shared/fixtures/apply-patch");
 */
export async function listScenarios(root: string): Promise<string[] | undefined> {
  if (!(await exists(root))) return undefined;
  const entries = await readdir(root, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(root, entry.name))
    .sort();
}

/**
 * Runs one scenario the way the reference suite prescribes: copy `input/` (missing = empty) into a fresh
 * temporary directory, apply `patch.txt` there, and compare the whole tree, directories included, with
 * `expected/` byte for byte. The outcome is judged by the tree alone; the error is reported for callers
 * that check messages too.
 *
 * @example
 * const { problems } = await runScenario("../shared/fixtures/apply-patch/001_add_file");
 */
export async function runScenario(scenarioDir: string): Promise<ScenarioOutcome> {
  const name = path.basename(scenarioDir);
  const patchFile = path.join(scenarioDir, "patch.txt");
  if (!(await exists(patchFile))) return { name, problems: ["no patch.txt"], error: undefined };
  const workDir = await mkdtemp(path.join(os.tmpdir(), "apply-patch-scenario-"));
  try {
    const input = path.join(scenarioDir, "input");
    if (await exists(input)) await cp(input, workDir, { recursive: true, verbatimSymlinks: true });
    let error: string | undefined;
    try {
      await applyPatch(await readFile(patchFile, "utf8"), { cwd: workDir });
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    const problems = compareTrees(
      await snapshot(workDir),
      await snapshot(path.join(scenarioDir, "expected")),
    );
    return { name, problems, error };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
