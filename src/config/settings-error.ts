/**
 * Thrown when the environment holds a bad value; each problem is one line naming the variable.
 * Kept apart from the settings schema so the CLI can recognise it without loading zod.
 *
 * @example
 * throw new SettingsError(['Invalid setting PORT: expected a whole number from 0 to 65535 (got "x")']);
 */
export class SettingsError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "SettingsError";
    this.problems = problems;
  }
}
