import os from "node:os";
import ipaddr from "ipaddr.js";

/** A host name compared the way DNS compares it: lower case, no trailing dot, no IPv6 brackets. */
function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
}

/**
 * Whether `host` may be reached through the network gate: it equals an entry (case-insensitive),
 * or an entry `*.example.com` names one of its subdomains (never example.com itself). An IP
 * literal matches no wildcard: it is allowed only when listed literally.
 *
 * @example
 * hostAllowed("Registry.NPMjs.org", ["registry.npmjs.org"]); // true
 * hostAllowed("a.example.com", ["*.example.com"]); // true
 * hostAllowed("example.com", ["*.example.com"]); // false
 */
export function hostAllowed(host: string, allowed: string[]): boolean {
  const name = normalizeHost(host);
  if (!name) return false;
  const isIpLiteral = ipaddr.isValid(name);
  return allowed.some((entry) => {
    const pattern = normalizeHost(entry);
    if (pattern === name) return true;
    if (isIpLiteral || !pattern.startsWith("*.")) return false;
    return name.endsWith(pattern.slice(1));
  });
}

/** Instance metadata services, which hand out cloud credentials to whoever asks. */
const CLOUD_METADATA = new Set([
  "169.254.169.254", // AWS, Google Cloud, Azure, DigitalOcean, …
  "169.254.170.2", // AWS ECS task credentials
  "100.100.100.200", // Alibaba Cloud
  "192.0.0.192", // Oracle Cloud
  "fd00:ec2:0:0:0:0:0:254", // AWS over IPv6
]);

/** Where every public IPv6 address lives. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

/**
 * Why each special range of ipaddr.js is refused; ranges not listed are treated as the internet.
 * Documentation and benchmarking ranges are not routed on the internet, so they are reached only
 * where a network maps names to them (a test host, a fake-IP proxy): they are refused when they are
 * this host's own network (see `localNetworks`), like every other address of it.
 */
const RANGE_REFUSALS: Record<string, string> = {
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  linkLocal: "link-local",
  loopback: "loopback",
  carrierGradeNat: "carrier-grade NAT",
  private: "private network",
  reserved: "reserved",
  uniqueLocal: "IPv6 unique local",
  deprecatedSiteLocal: "IPv6 site-local",
  discard: "reserved",
  teredo: "reserved",
  deprecatedOrchid: "reserved",
  orchid2: "reserved",
  droneRemoteIdProtocolEntityTags: "reserved",
  segmentRouting: "reserved",
};

/** IPv6 prefixes that carry an IPv4 address in their last 32 bits, which is what gets reached. */
const EMBEDDED_IPV4_RANGES = ["::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96"].map((cidr) =>
  ipaddr.IPv6.parseCIDR(cidr),
);

/** The IPv4 address an IPv6 address stands for (mapped, translated, NAT64 or 6to4), if any. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const bytes = address.toByteArray();
  if (EMBEDDED_IPV4_RANGES.some((range) => address.match(range))) return new ipaddr.IPv4(bytes.slice(12, 16));
  if (address.range() === "6to4") return new ipaddr.IPv4(bytes.slice(2, 6));
  return undefined;
}

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Documentation and benchmarking ranges, which ipaddr.js files under "reserved" (see RANGE_REFUSALS). */
const NOT_ROUTED = [
  "192.0.2.0/24",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "198.18.0.0/15",
  "2001:db8::/32",
].map((cidr) => ipaddr.parseCIDR(cidr));

function onLocalNetwork(address: ipaddr.IPv4 | ipaddr.IPv6, networks: Network[]): boolean {
  return networks.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
}

function ipv4Refusal(address: ipaddr.IPv4, networks: Network[]): string | undefined {
  if (CLOUD_METADATA.has(address.toString())) return "cloud metadata";
  const refusal = onLocalNetwork(address, NOT_ROUTED) ? undefined : RANGE_REFUSALS[address.range()];
  if (refusal) return refusal;
  return onLocalNetwork(address, networks) ? "this host's own network" : undefined;
}

function ipv6Refusal(address: ipaddr.IPv6, networks: Network[]): string | undefined {
  const ipv4 = embeddedIpv4(address);
  if (ipv4) return ipv4Refusal(ipv4, networks);
  if (CLOUD_METADATA.has(address.toNormalizedString())) return "cloud metadata";
  if (onLocalNetwork(address, NOT_ROUTED))
    return onLocalNetwork(address, networks) ? "this host's own network" : undefined;
  const refusal = RANGE_REFUSALS[address.range()];
  if (refusal) return refusal;
  if (onLocalNetwork(address, networks)) return "this host's own network";
  // Everything public lives in 2000::/3; the rest (local-use NAT64, IPv4-compatible, …) is not the internet.
  return address.match(GLOBAL_UNICAST_V6) ? undefined : "reserved";
}

/**
 * Why the sandbox may not connect to `address`, or undefined when it is an internet address.
 * Refused: loopback, private, link-local, carrier-grade NAT, unique-local, multicast, reserved,
 * cloud metadata, and any address of `networks` (this host's own, from `localNetworks()`). IPv6
 * addresses that stand for an IPv4 address (::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4) are judged
 * by that IPv4 address; text that is no IP address is refused too.
 *
 * @example
 * addressRefusal("104.16.0.1"); // undefined
 * addressRefusal("::ffff:127.0.0.1"); // "loopback"
 * addressRefusal("169.254.169.254"); // "cloud metadata"
 * addressRefusal("192.0.2.1", ["192.0.2.2/24"]); // "this host's own network"
 */
export function addressRefusal(address: string, networks: string[] = []): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(normalizeHost(address));
  } catch {
    return "not an IP address";
  }
  const parsedNetworks = networks.flatMap((cidr): Network[] => {
    try {
      return [ipaddr.parseCIDR(cidr)];
    } catch {
      return [];
    }
  });
  return parsed instanceof ipaddr.IPv4
    ? ipv4Refusal(parsed, parsedNetworks)
    : ipv6Refusal(parsed, parsedNetworks);
}

/**
 * The networks this host's interfaces are on (CIDR), which the sandbox may never reach.
 *
 * @example
 * localNetworks(); // ["127.0.0.1/8", "192.0.2.2/24", "::1/128", …]
 */
export function localNetworks(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .flatMap((info) => (info.cidr ? [info.cidr] : []));
}

/** The hosts each ecosystem's package manager downloads from. */
export const DEFAULT_REGISTRY_HOSTS: Record<string, string[]> = {
  npm: ["registry.npmjs.org", "registry.yarnpkg.com"],
  python: ["pypi.org", "files.pythonhosted.org"],
  rust: ["crates.io", "index.crates.io", "static.crates.io"],
  go: ["proxy.golang.org", "sum.golang.org"],
  ruby: ["rubygems.org", "index.rubygems.org"],
  java: ["repo.maven.apache.org", "repo1.maven.org", "plugins.gradle.org", "services.gradle.org"],
  php: ["repo.packagist.org", "packagist.org"],
  dotnet: ["api.nuget.org"],
};

/** The root files that reveal each ecosystem. */
const ECOSYSTEM_FILES: Record<string, RegExp> = {
  npm: /^package\.json$/,
  python: /^(requirements.*\.txt|pyproject\.toml|setup\.py|Pipfile)$/,
  rust: /^Cargo\.toml$/,
  go: /^go\.mod$/,
  ruby: /^Gemfile$/,
  java: /^(pom\.xml|build\.gradle|build\.gradle\.kts)$/,
  php: /^composer\.json$/,
  dotnet: /\.(csproj|sln)$/,
};

/**
 * The package registries of the ecosystems whose files are at a repository's root. When no file
 * is recognised, npm's registries: Loopwright's own ecosystem, and the likeliest to be needed.
 *
 * @example
 * defaultAllowedHosts(["package.json", "pyproject.toml"]);
 * // ["registry.npmjs.org", "registry.yarnpkg.com", "pypi.org", "files.pythonhosted.org"]
 */
export function defaultAllowedHosts(fileNames: string[]): string[] {
  const ecosystems = Object.keys(ECOSYSTEM_FILES).filter((ecosystem) =>
    fileNames.some((name) => ECOSYSTEM_FILES[ecosystem]!.test(name)),
  );
  const hosts = (ecosystems.length ? ecosystems : ["npm"]).flatMap(
    (ecosystem) => DEFAULT_REGISTRY_HOSTS[ecosystem]!,
  );
  return [...new Set(hosts)];
}
