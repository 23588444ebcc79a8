import { stripHidden } from "../github/sanitize.ts";

/** Branch-name-safe words from a title: `Crash on empty input!` → `crash-on-empty-input`. */
export function slugify(title: string, maxLength = 40): string {
  const slug = title
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug.slice(0, maxLength).replace(/-+$/, "") || "task";
}

/** The first line of a model's summary, for a commit subject's body or a title. */
export function firstLine(text: string, maxLength = 200): string {
  const line = (text.split("\n").find((candidate) => candidate.trim() !== "") ?? "").trim();
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}

/** The maintainer's own words after the command, if any, as a section of the task text. */
export function maintainerInstructions(instructions: string, requester: string): string {
  const text = stripHidden(instructions).trim();
  if (text === "") return "";
  return `\nInstructions from @${requester}, the maintainer who asked for this task:\n${text}\n`;
}

/** How every GitHub task must end, so Loopwright can deliver the work. */
export const DELIVERY_RULES = [
  "Work in the repository checked out in your working directory. Keep the change focused on the task;",
  "add or update tests where the project has them, and run the relevant tests before you finish.",
  "Do not commit, push, or switch branches: Loopwright commits the changes in your working tree and",
  "pushes them. Finish with a short summary for the maintainers: what was wrong, what you changed, and",
  "how you verified it.",
].join("\n");
