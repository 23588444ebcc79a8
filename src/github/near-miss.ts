/** The words that may follow the command word (`/agent fix`, `/agent stop`, `/agent help`). */
export const COMMAND_WORDS = ["fix", "stop", "help"] as const;
export type CommandWord = (typeof COMMAND_WORDS)[number];

/**
 * The most edits a first word may be away from a command word and still read as a slip of it.
 * One: the command words are short, and at two edits ordinary first words (`find`, `for`, `here`,
 * `strip`) would be taken for slips and refused.
 */
const MAX_EDITS = 1;

/**
 * Edits (insert, delete or replace one character, or swap two neighbours) that turn `a` into `b`:
 * the optimal string alignment distance, so `fxi` is one edit from `fix`.
 *
 * @example
 * editDistance("halp", "help"); // 1
 */
export function editDistance(a: string, b: string): number {
  // Three rows of the usual table: distances from a's first i-2, i-1 and i characters to b's prefixes.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const replace = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, replace);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, beforePrevious[j - 2]! + 1);
      }
      current.push(best);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The command word that the first word after `/agent` looks like a slip or an inflection of, or
 * undefined when it is a command word itself or plainly something else. A word is a near miss of a
 * command word when it is that word plus a suffix (`fixing`, `fixed`, `fixes`, `fixx`, `stopped`,
 * `helper`), or when it starts with the same letter and is one edit away (`fx`, `fxi`, `fox`,
 * `stp`, `halp`). Case does not matter.
 *
 * @example
 * nearMissOf("Fixing"); // "fix"
 * nearMissOf("fix"); // undefined: the command itself
 * nearMissOf("rename"); // undefined: instructions
 */
export function nearMissOf(word: string): CommandWord | undefined {
  const typed = word.toLowerCase();
  if (typed === "") return undefined;
  for (const command of COMMAND_WORDS) {
    if (typed === command) return undefined;
    if (typed.startsWith(command)) return command;
    if (typed[0] === command[0] && editDistance(typed, command) <= MAX_EDITS) return command;
  }
  return undefined;
}
