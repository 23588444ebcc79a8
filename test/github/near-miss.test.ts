import { describe, expect, it } from "vitest";
import { COMMAND_WORDS, editDistance, nearMissOf } from "../../src/github/near-miss.ts";

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/** Every string one edit (delete, insert, replace, swap neighbours) away from `word`, over a-z. */
function oneEditAway(word: string): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i <= word.length; i++) {
    for (const letter of LETTERS) out.add(word.slice(0, i) + letter + word.slice(i));
    if (i === word.length) continue;
    out.add(word.slice(0, i) + word.slice(i + 1));
    for (const letter of LETTERS) out.add(word.slice(0, i) + letter + word.slice(i + 1));
    if (i + 1 < word.length) out.add(word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2));
  }
  out.delete(word);
  return out;
}

/** A slow, independent definition of the optimal string alignment distance, to check the fast one. */
function referenceDistance(a: string, b: string): number {
  const memo = new Map<string, number>();
  const d = (i: number, j: number): number => {
    if (i === 0) return j;
    if (j === 0) return i;
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let best = Math.min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
    if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
      best = Math.min(best, d(i - 2, j - 2) + 1);
    memo.set(key, best);
    return best;
  };
  return d(a.length, b.length);
}

/** Every string of 1 to `maxLength` characters over `alphabet`. */
function allStrings(alphabet: string, maxLength: number): string[] {
  let level = [""];
  const all: string[] = [];
  for (let length = 1; length <= maxLength; length++) {
    level = level.flatMap((prefix) => [...alphabet].map((letter) => prefix + letter));
    all.push(...level);
  }
  return all;
}

describe("editDistance", () => {
  it.each([
    ["fix", "fix", 0],
    ["fx", "fix", 1],
    ["fxi", "fix", 1],
    ["fixx", "fix", 1],
    ["halp", "help", 1],
    ["stopp", "stop", 1],
    ["fixed", "fix", 2],
    ["fixing", "fix", 3],
    ["", "stop", 4],
    ["rename", "help", 5],
  ])("%j → %j is %i", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });

  it("agrees with a slow reference on every short word over the command words' letters", () => {
    const words = allStrings("fixstophel", 4);
    for (const command of COMMAND_WORDS) {
      for (const word of words) expect(editDistance(word, command)).toBe(referenceDistance(word, command));
    }
  });
});

describe("nearMissOf", () => {
  it.each([
    ["fixing", "fix"],
    ["fixed", "fix"],
    ["fixes", "fix"],
    ["fx", "fix"],
    ["fixx", "fix"],
    ["fxi", "fix"],
    ["Fixing", "fix"],
    ["FIXED", "fix"],
    ["fixup", "fix"],
    ["fix.js", "fix"],
    ["fi", "fix"],
    ["stopp", "stop"],
    ["stopped", "stop"],
    ["sotp", "stop"],
    ["stp", "stop"],
    ["halp", "help"],
    ["helpme", "help"],
    ["hlep", "help"],
    ["hepl", "help"],
  ])("%j is a slip of %j", (word, command) => {
    expect(nearMissOf(word)).toBe(command);
  });

  it.each([
    "fix",
    "Stop",
    "HELP",
    "",
    "rename",
    "add",
    "also",
    "use",
    "update",
    "make",
    "remove",
    "please",
    "the",
    "this",
    "change",
    "refactor",
    "write",
    "cover",
    "handle",
    "run",
    "bump",
    "revert",
    "implement",
    "document",
    "test",
    "ensure",
    "move",
    "start",
    "support",
    "simplify",
    "set",
    "sort",
    "first",
    "hide",
    "x",
    "ifx",
  ])("%j is not a slip of a command word", (word) => {
    expect(nearMissOf(word)).toBeUndefined();
  });

  it("takes every word one edit from a command word, with its first letter, as a slip of it", () => {
    for (const command of COMMAND_WORDS) {
      for (const word of oneEditAway(command)) {
        if (word === command || word === "" || word[0] !== command[0]) continue;
        expect(nearMissOf(word), word).toBe(command);
      }
    }
  });

  it.each(["find", "for", "here", "strip", "skip", "first", "fetch", "store"])(
    "%j, two edits from a command word, is instructions",
    (word) => {
      expect(nearMissOf(word)).toBeUndefined();
    },
  );

  it("takes the command word plus any suffix as a slip of it", () => {
    for (const command of COMMAND_WORDS) {
      for (const suffix of allStrings(`${LETTERS}-.0`, 2)) expect(nearMissOf(command + suffix)).toBe(command);
    }
  });

  it("decides every short word by the rule: same first letter within one edit, or a prefix", () => {
    for (const word of allStrings("fixstophela", 4)) {
      const expected = COMMAND_WORDS.find(
        (command) =>
          word !== command &&
          (word.startsWith(command) || (word[0] === command[0] && referenceDistance(word, command) <= 1)),
      );
      expect(nearMissOf(word), word).toBe(expected);
    }
  });

  it("never takes a word that starts with another letter, whatever else it has in common", () => {
    for (const word of allStrings(LETTERS, 3)) {
      if ("fsh".includes(word[0]!)) continue;
      expect(nearMissOf(word), word).toBeUndefined();
    }
  });
});
