import { readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** What each `bench/*.bench.ts` module's default export resolves to: a section of RESULTS.md. */
export type BenchSection = { title: string; markdown: string };

const benchDir = import.meta.dirname;
const only = process.argv.slice(2);

function machineDescription(): string {
  const cpus = os.cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${cpus.length} × ${cpus[0]?.model ?? "unknown"}`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- os: ${os.type()} ${os.release()} (${os.arch()})`,
    `- node: ${process.version}`,
  ].join("\n");
}

const files = (await readdir(benchDir))
  .filter((file) => file.endsWith(".bench.ts"))
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
  .sort();
const sections: BenchSection[] = [];
for (const file of files) {
  console.error(`bench: ${file}`);
  const module = (await import(pathToFileURL(path.join(benchDir, file)).href)) as {
    default: () => Promise<BenchSection>;
  };
  const section = await module.default();
  console.log(`\n## ${section.title}\n\n${section.markdown}`);
  sections.push(section);
}
if (only.length === 0) {
  const body = sections.map((section) => `## ${section.title}\n\n${section.markdown.trim()}\n`).join("\n");
  await writeFile(
    path.join(benchDir, "RESULTS.md"),
    `# Benchmark results\n\nWritten by \`npm run bench\`. Ratios compare against the baseline measured in the same run.\n\n## Machine\n\n${machineDescription()}\n\n${body}`,
  );
  console.error("bench: wrote bench/RESULTS.md");
}
