/**
 * Reads JSON Lines: each non-blank line parsed as JSON and handed to `read` with where it came from
 * (`"tasks.jsonl line 3"`), so every message names the line. A line that is not JSON is reported
 * through `fail` with JSON's own words.
 *
 * @example
 * const turns = readJsonLines(text, "transcript", (json, where) => parseTurn(json, where), (m) => new TranscriptError(m));
 * @throws whatever `fail` makes, or `read` throws
 */
export function readJsonLines<T>(
  text: string,
  source: string,
  read: (json: unknown, where: string, line: number) => T,
  fail: (message: string) => Error,
): T[] {
  const values: T[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const where = `${source} line ${index + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw fail(`${where}: not valid JSON (${(error as Error).message})`);
    }
    values.push(read(json, where, index + 1));
  });
  return values;
}
