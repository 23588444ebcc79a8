/** Git's conventions: a subject that fits a one-line log, a body wrapped for a terminal. */
const SUBJECT_MAX = 72;
const BODY_WIDTH = 72;
/** The body keeps whole paragraphs of the summary up to about this many characters. */
const BODY_MAX = 4000;

/**
 * The first sentence of `text` as a commit subject: whitespace collapsed, first letter capital, no
 * closing full stop; undefined when it does not fit in 72 characters (a subject is never cut).
 *
 * @example
 * commitSubject("fix the flaky date test. It fails on Mondays."); // "Fix the flaky date test"
 */
export function commitSubject(text: string): string | undefined {
  const paragraph = (text.trim().split(/\n\s*\n/)[0] ?? "").replace(/\s+/g, " ");
  const sentence = (/^.*?[.!?](?=\s|$)/.exec(paragraph)?.[0] ?? paragraph).replace(/\.$/, "").trim();
  if (sentence === "" || sentence.length > SUBJECT_MAX) return undefined;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/** Lines of at most BODY_WIDTH characters, broken only between words (a longer word keeps its line). */
function wrapWords(line: string): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of line.split(/\s+/).filter(Boolean)) {
    if (current !== "" && current.length + 1 + word.length > BODY_WIDTH) {
      lines.push(current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  if (current !== "") lines.push(current);
  return lines;
}

/**
 * A paragraph of prose, wrapped; a list, a quote, an indented or fenced block keeps its lines as
 * written (they were laid out on purpose).
 */
function wrapParagraph(paragraph: string): string {
  const laidOut = /^(\s|[-*+>]\s|\d+[.)]\s|```)/m.test(paragraph);
  return laidOut ? paragraph.replace(/[ \t]+$/gm, "") : wrapWords(paragraph).join("\n");
}

/** Whole paragraphs of `text`, wrapped, up to about BODY_MAX characters. */
function bodyParagraphs(text: string): { paragraphs: string[]; complete: boolean } {
  const paragraphs: string[] = [];
  let length = 0;
  const all = text
    .trim()
    .split(/\n\s*\n/)
    .filter((paragraph) => paragraph.trim() !== "");
  for (const paragraph of all) {
    const wrapped = wrapParagraph(paragraph);
    if (paragraphs.length > 0 && length + wrapped.length > BODY_MAX) return { paragraphs, complete: false };
    paragraphs.push(wrapped);
    length += wrapped.length;
  }
  return { paragraphs, complete: true };
}

/**
 * A commit message made of whole sentences: `subject` when it fits (else `fallbackSubject`), then
 * the summary's paragraphs wrapped at 72 columns — never a word or a sentence cut, and when the
 * summary is very long, whole paragraphs and a pointer to where the rest is — then `notes`
 * (paragraphs of their own) and the trailer lines.
 *
 * @example
 * buildCommitMessage({ subject: "Fix the flaky date test", fallbackSubject: "Make the change asked for in task 7",
 *   summary: "The parser assumed UTC.\n\nIt now reads the offset.", notes: [], trailers: ["Loopwright task 7"] });
 */
export function buildCommitMessage(parts: {
  subject: string | undefined;
  fallbackSubject: string;
  summary: string;
  /** Where the whole summary can be read when the body keeps only its first paragraphs. */
  summaryElsewhere?: string;
  notes: string[];
  trailers: string[];
}): string {
  const subject =
    parts.subject !== undefined && parts.subject.length <= SUBJECT_MAX
      ? parts.subject
      : parts.fallbackSubject;
  const summary = bodyParagraphs(parts.summary);
  const more = summary.complete || !parts.summaryElsewhere ? [] : [wrapParagraph(parts.summaryElsewhere)];
  const notes = parts.notes.flatMap((note) => bodyParagraphs(note).paragraphs);
  const trailers = parts.trailers.length > 0 ? [parts.trailers.join("\n")] : [];
  return `${[subject, ...summary.paragraphs, ...more, ...notes, ...trailers].join("\n\n")}\n`;
}
