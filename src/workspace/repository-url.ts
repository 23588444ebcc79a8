import { createHash } from "node:crypto";
import path from "node:path";

/** Where a repository comes from, as the mirror cache names it. */
export type RepositoryLocation = {
  /** The URL git fetches from, as given (never holding credentials). */
  url: string;
  /** Relative path of its mirror under the cache: `<host>/<owner>/<repo>.git`. */
  cacheKey: string;
  /** How messages name it: `github.com/owner/repo`, or the local path. */
  display: string;
};

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/**
 * Checks a repository URL and derives its cache path. Accepts http(s) URLs of the form
 * `https://host/owner/repo(.git)`, `file://` URLs and absolute local paths (tests, local mirrors).
 * URLs holding a user name or password are refused: credentials travel per command, never in URLs.
 *
 * @example
 * parseRepositoryUrl("https://github.com/acme/app.git").cacheKey; // "github.com/acme/app.git"
 * @throws Error with a message saying what is wrong with the URL
 */
export function parseRepositoryUrl(url: string): RepositoryLocation {
  if (typeof url !== "string" || url.trim() === "") throw new Error("repository URL is empty");
  if (path.isAbsolute(url)) return localLocation(url, path.resolve(url));
  if (!URL.canParse(url))
    throw new Error(`repository URL ${JSON.stringify(url)} is neither a URL nor an absolute path`);
  const parsed = new URL(url);
  if (parsed.username !== "" || parsed.password !== "") {
    throw new Error("repository URL must not contain credentials; the token is passed to git per command");
  }
  if (parsed.protocol === "file:")
    return localLocation(url, path.resolve(decodeURIComponent(parsed.pathname)));
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new Error(`repository URL ${JSON.stringify(url)} must use https, http or file`);
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    throw new Error(`repository URL ${JSON.stringify(url)} must not have a query or fragment`);
  }
  const segments = parsed.pathname
    .replace(/\.git\/?$/, "")
    .split("/")
    .filter(Boolean);
  if (segments.length < 2 || !segments.every((segment) => SEGMENT.test(segment) && !/^\.+$/.test(segment))) {
    throw new Error(`repository URL ${JSON.stringify(url)} is not of the form https://host/owner/repo`);
  }
  const host = parsed.port === "" ? parsed.hostname : `${parsed.hostname}_${parsed.port}`;
  const name = segments.join("/");
  return { url, cacheKey: `${host}/${name}.git`, display: `${parsed.host}/${name}` };
}

function localLocation(url: string, absolute: string): RepositoryLocation {
  // A hash keeps two local repositories with the same folder name apart.
  const hash = createHash("sha256").update(absolute).digest("hex").slice(0, 12);
  const base =
    path
      .basename(absolute)
      .replace(/\.git$/, "")
      .replace(/[^A-Za-z0-9_.-]/g, "_") || "repo";
  return { url, cacheKey: `local/${base}-${hash}.git`, display: absolute };
}
