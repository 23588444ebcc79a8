import { execFile } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

/** What each `bench/*.bench.ts` module's default export resolves to: a section of RESULTS.md. */
export type BenchSection = { title: string; markdown: string };

const benchDir = import.meta.dirname;
const SECTION_FLAG = "--section";

function machineDescription(): string {
  const cpus = os.cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${cpus.length} × ${cpus[0]?.model ?? "unknown"}`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- os: ${os.type()} ${os.release()} (${os.arch()})`,
    `- node: ${process.version}`,
    `- PostgreSQL for the server rows: ${process.env.TEST_DATABASE_URL ? "TEST_DATABASE_URL" : "not set (server rows skipped)"}`,
  ].join("\n");
}

/** Runs one bench module in this process and prints its section as JSON (the child's side). */
async function runSection(file: string): Promise<void> {
  const module = (await import(pathToFileURL(path.join(benchDir, file)).href)) as {
    default: () => Promise<BenchSection>;
  };
  process.stdout.write(JSON.stringify(await module.default()));
}

/**
 * Each bench runs in a process of its own: one that loaded an embedded database or spawned workers
 * would otherwise slow the next one's measurements (a larger process forks more slowly).
 */
async function runIsolated(file: string): Promise<BenchSection> {
  const { stdout } = await promisify(execFile)(process.execPath, [import.meta.filename, SECTION_FLAG, file], {
    maxBuffer: 64 * 2 ** 20,
    env: process.env,
  });
  return JSON.parse(stdout) as BenchSection;
}

/** The sections of an existing RESULTS.md, except its header and machine description. */
function previousSections(text: string): BenchSection[] {
  return text
    .split(/^## /m)
    .slice(1)
    .map((part) => {
      const newline = part.indexOf("\n");
      return { title: part.slice(0, newline).trim(), markdown: part.slice(newline + 1) };
    })
    .filter((section) => section.title !== "Machine");
}

const args = process.argv.slice(2);
if (args[0] === SECTION_FLAG && args[1]) {
  await runSection(args[1]);
} else {
  const files = (await readdir(benchDir))
    .filter((file) => file.endsWith(".bench.ts"))
    .filter((file) => args.length === 0 || args.some((name) => file.includes(name)))
    .sort();
  const sections: BenchSection[] = [];
  for (const file of files) {
    console.error(`bench: ${file}`);
    const load = os.loadavg()[0]?.toFixed(1);
    const measured = await runIsolated(file);
    // Sections of one file may come from different runs: each says when, and how busy the machine was.
    const section = {
      ...measured,
      markdown: `${measured.markdown.trim()}\n\n_Measured ${new Date().toISOString().slice(0, 16)}Z; load average (1 min) at its start: ${load}._\n`,
    };
    console.log(`\n## ${section.title}\n\n${section.markdown}`);
    sections.push(section);
  }
  const file = path.join(benchDir, "RESULTS.md");
  // A partial run (`npm run bench -- webhook`) replaces its own sections and keeps the others.
  const kept = args.length === 0 ? [] : previousSections(await readFile(file, "utf8").catch(() => ""));
  const merged = [
    ...kept.filter((old) => !sections.some((section) => section.title === old.title)),
    ...sections,
  ];
  const body = merged.map((section) => `## ${section.title}\n\n${section.markdown.trim()}\n`).join("\n");
  await writeFile(
    file,
    `# Benchmark results\n\nWritten by \`npm run bench\` (\`npm run bench -- NAME\` re-runs the benches whose file name contains NAME and replaces their sections). Ratios compare against the baseline measured in the same run. Each benchmark runs in a process of its own.\n\n## Machine\n\n${machineDescription()}\n\n${body}`,
  );
  console.error("bench: wrote bench/RESULTS.md");
}
