import path from "node:path";

/** Directories every sandboxed command finds programs in, after the Node.js runtime's own. */
const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Names the sandbox sets itself; a repository may not override them. */
const RESERVED = new Set(["PATH", "HOME", "TMPDIR", "USER", "LOGNAME", "SHELL", "PWD"]);

/** Names that look like credentials are refused even when a repository config asks for them. */
const CREDENTIAL_NAME =
  /TOKEN|SECRET|PASSW(OR)?D|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL|^GITHUB_|^GH_|^OPENAI_|^DATABASE_(READ_)?URL$|^PG(PASSWORD|SERVICEFILE|PASSFILE)$|^AWS_|^NPM_CONFIG__AUTH|^NODE_AUTH/i;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Where the operator's TLS trust store is (a file or folder path, never a secret): passed on so
 * package managers behind a TLS-inspecting egress proxy trust what the host trusts.
 */
const TRUST_STORE_VARIABLES = [
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "CURL_CA_BUNDLE",
  "REQUESTS_CA_BUNDLE",
  "PIP_CERT",
  "GIT_SSL_CAINFO",
];

function trustStore(): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of TRUST_STORE_VARIABLES) {
    const value = process.env[name];
    if (value?.startsWith("/") && !value.includes("\0")) found[name] = value;
  }
  return found;
}

/** Thrown for extra variables the sandbox refuses to pass; the message names the variable. */
export class SandboxEnvironmentError extends Error {
  override name = "SandboxEnvironmentError";
}

/** The search path inside the sandbox: the running Node.js's bin directory first, then the system's. */
export function sandboxSearchPath(runtimeBin: string = path.dirname(process.execPath)): string {
  return [...new Set([runtimeBin, ...SYSTEM_PATH])].join(":");
}

/**
 * Builds a sandboxed command's environment from scratch (nothing is inherited from this process,
 * so tokens and keys in it cannot leak), plus the repository's non-secret extras.
 *
 * @example
 * sandboxEnvironment({ home: "/home/sandbox", tmp: "/tmp", extras: { NODE_ENV: "test" } });
 * // { PATH: "…", HOME: "/home/sandbox", TMPDIR: "/tmp", LANG: "C.UTF-8", TERM: "dumb", CI: "true", NODE_ENV: "test" }
 * @throws SandboxEnvironmentError for an invalid or reserved name, a credential-like name, or a value with NUL
 */
export function sandboxEnvironment(options: {
  home: string;
  tmp: string;
  extras?: Record<string, string>;
  searchPath?: string;
}): Record<string, string> {
  const extras = options.extras ?? {};
  for (const [name, value] of Object.entries(extras)) {
    if (!VARIABLE_NAME.test(name)) {
      throw new SandboxEnvironmentError(`invalid environment variable name ${JSON.stringify(name)}`);
    }
    if (RESERVED.has(name)) {
      throw new SandboxEnvironmentError(`${name} is set by the sandbox itself and cannot be overridden`);
    }
    if (CREDENTIAL_NAME.test(name)) {
      throw new SandboxEnvironmentError(
        `refusing to pass ${name} into the sandbox: the name looks like a credential, and commands the model runs must not see secrets`,
      );
    }
    if (typeof value !== "string" || value.includes("\0")) {
      throw new SandboxEnvironmentError(`the value of ${name} must be a string without NUL characters`);
    }
  }
  return {
    LANG: "C.UTF-8",
    TERM: "dumb",
    CI: "true",
    ...trustStore(),
    ...extras,
    PATH: options.searchPath ?? sandboxSearchPath(),
    HOME: options.home,
    TMPDIR: options.tmp,
  };
}
