const PATCH_PROGRAMS = new Set(["apply_patch", "applypatch"]);
const HEREDOC_INVOCATION =
  /^\s*(?:apply_patch|applypatch)\s*<<-?\s*(['"]?)([A-Za-z_]\w*)\1[ \t]*\n([\s\S]*?)\n[ \t]*\2[ \t]*\n?\s*$/;

/**
 * The patch of a shell call that only invokes `apply_patch` — `apply_patch <<'EOF' … EOF`, or the
 * argv `["apply_patch", patch]` — as models trained on Codex do. Such a call is routed to the patch
 * engine (there is no `apply_patch` program in the sandbox); any other command gives undefined.
 *
 * @example
 * patchFromShellCommand("apply_patch <<'EOF'\n*** Begin Patch\n…\n*** End Patch\nEOF"); // "*** Begin Patch\n…"
 */
export function patchFromShellCommand(command: string | string[]): string | undefined {
  if (Array.isArray(command)) {
    const [program, ...rest] = command;
    if (program !== undefined && PATCH_PROGRAMS.has(program) && rest.length === 1) return rest[0];
    const [shell, flag, script] = command;
    if (command.length === 3 && /^(ba)?sh$/.test(shell ?? "") && /^-l?c$/.test(flag ?? "") && script) {
      return patchFromShellCommand(script);
    }
    return undefined;
  }
  return HEREDOC_INVOCATION.exec(command)?.[3];
}
