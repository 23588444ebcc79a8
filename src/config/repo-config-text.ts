import { parse } from "yaml";
import { parseRepoConfig } from "./repo-config.ts";

/**
 * The problems the bot would report for a `.github/loopwright.yml`'s text (its YAML, then its keys).
 *
 * @example
 * checkRepoConfigText("budget: { max_steps: lots }"); // ['budget.max_steps: expected a whole number …']
 */
export function checkRepoConfigText(text: string, defaultBranch?: string): string[] {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    return [`the file could not be read: ${(error as Error).message.split("\n")[0]}`];
  }
  return parseRepoConfig(raw ?? {}, defaultBranch === undefined ? {} : { defaultBranch }).problems;
}
