import { describe, expect, it } from "vitest";
import {
  addressRefusal,
  DEFAULT_REGISTRY_HOSTS,
  defaultAllowedHosts,
  hostAllowed,
  localNetworks,
} from "../../src/workspace/network-policy.ts";

describe("hostAllowed", () => {
  const allowed = ["registry.npmjs.org", "*.example.com", "93.184.215.14", "[2606:4700::1]"];

  it.each([
    ["registry.npmjs.org", true],
    ["REGISTRY.NPMJS.ORG", true],
    ["registry.npmjs.org.", true],
    ["npmjs.org", false],
    ["evil-registry.npmjs.org", false],
    ["registry.npmjs.org.evil.com", false],
    ["a.example.com", true],
    ["deep.sub.Example.COM", true],
    ["example.com", false],
    ["notexample.com", false],
    ["example.com.evil.org", false],
    ["", false],
    ["  ", false],
  ])("%j → %s", (host, expected) => {
    expect(hostAllowed(host, allowed)).toBe(expected);
  });

  it("allows an IP literal only when it is listed literally", () => {
    expect(hostAllowed("93.184.215.14", allowed)).toBe(true);
    expect(hostAllowed("2606:4700::1", allowed)).toBe(true);
    expect(hostAllowed("[2606:4700::1]", allowed)).toBe(true);
    expect(hostAllowed("93.184.215.15", allowed)).toBe(false);
    expect(hostAllowed("127.0.0.1", ["*.0.0.1"])).toBe(false);
    expect(hostAllowed("1.2.3.4", ["*.2.3.4", "*.3.4"])).toBe(false);
    expect(hostAllowed("::1", ["*::1"])).toBe(false);
  });

  it("allows nothing when nothing is listed", () => {
    expect(hostAllowed("registry.npmjs.org", [])).toBe(false);
  });
});

describe("addressRefusal", () => {
  it.each([
    "8.8.8.8",
    "104.16.0.1",
    "93.184.215.14",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700::6810:1",
    "2a00:1450:4001:82b::200e",
    "64:ff9b::8.8.8.8",
    "::ffff:8.8.8.8",
  ])("accepts the public address %s", (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });

  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["10.0.0.1", "private network"],
    ["172.16.0.1", "private network"],
    ["172.31.255.255", "private network"],
    ["192.168.1.1", "private network"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["169.254.169.254", "cloud metadata"],
    ["169.254.170.2", "cloud metadata"],
    ["fd00:ec2::254", "cloud metadata"],
    ["100.100.100.200", "cloud metadata"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["192.0.0.8", "reserved"],
    ["240.0.0.1", "reserved"],
    ["fc00::1", "IPv6 unique local"],
    ["fd12:3456::1", "IPv6 unique local"],
    ["fec0::1", "IPv6 site-local"],
    ["100::1", "reserved"],
    ["2001::1", "reserved"],
    ["64:ff9b:1::1", "reserved"],
    ["4000::1", "reserved"],
    ["not-an-address", "not an IP address"],
    ["", "not an IP address"],
  ])("refuses %s (%s)", (address, reason) => {
    expect(addressRefusal(address)).toBe(reason);
  });

  it("refuses this host's own networks, documentation ranges included, and nothing else of them", () => {
    const networks = ["192.0.2.2/24", "2606:4700::5/64"];
    expect(addressRefusal("192.0.2.1", networks)).toBe("this host's own network");
    expect(addressRefusal("::ffff:192.0.2.9", networks)).toBe("this host's own network");
    expect(addressRefusal("2606:4700::1", networks)).toBe("this host's own network");
    // Not routed on the internet: reachable only where the network maps names to it, like a proxy.
    expect(addressRefusal("203.0.113.80", networks)).toBeUndefined();
    expect(addressRefusal("198.18.0.1", networks)).toBeUndefined();
    expect(addressRefusal("104.16.0.1", ["bad cidr"])).toBeUndefined();
    expect(localNetworks()).toContain("127.0.0.1/8");
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::FFFF:10.1.2.3", "private network"],
    ["::ffff:169.254.169.254", "cloud metadata"],
    ["::ffff:0:192.168.0.1", "private network"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a00:1", "private network"],
    ["64:ff9b::169.254.169.254", "cloud metadata"],
    ["2002:7f00:1::1", "loopback"],
    ["2002:a9fe:a9fe::1", "cloud metadata"],
  ])("judges %s by the IPv4 address it stands for (%s)", (address, reason) => {
    expect(addressRefusal(address)).toBe(reason);
  });
});

describe("defaultAllowedHosts", () => {
  it.each([
    [["package.json"], "npm"],
    [["requirements.txt"], "python"],
    [["requirements-dev.txt"], "python"],
    [["pyproject.toml"], "python"],
    [["setup.py"], "python"],
    [["Pipfile"], "python"],
    [["Cargo.toml"], "rust"],
    [["go.mod"], "go"],
    [["Gemfile"], "ruby"],
    [["pom.xml"], "java"],
    [["build.gradle"], "java"],
    [["build.gradle.kts"], "java"],
    [["composer.json"], "php"],
    [["App.csproj"], "dotnet"],
    [["Solution.sln"], "dotnet"],
  ])("%j → the %s registries", (files, ecosystem) => {
    expect(defaultAllowedHosts([...files, "README.md", "LICENSE"])).toEqual(
      DEFAULT_REGISTRY_HOSTS[ecosystem],
    );
  });

  it("names the registries of the ecosystems found", () => {
    expect(DEFAULT_REGISTRY_HOSTS).toMatchObject({
      npm: ["registry.npmjs.org", "registry.yarnpkg.com"],
      python: ["pypi.org", "files.pythonhosted.org"],
      rust: ["crates.io", "index.crates.io", "static.crates.io"],
      go: ["proxy.golang.org", "sum.golang.org"],
      ruby: ["rubygems.org", "index.rubygems.org"],
      java: ["repo.maven.apache.org", "repo1.maven.org", "plugins.gradle.org", "services.gradle.org"],
      php: ["repo.packagist.org", "packagist.org"],
      dotnet: ["api.nuget.org"],
    });
  });

  it("joins several ecosystems without repeating a host", () => {
    expect(defaultAllowedHosts(["pyproject.toml", "package.json", "requirements.txt", "go.mod"])).toEqual([
      "registry.npmjs.org",
      "registry.yarnpkg.com",
      "pypi.org",
      "files.pythonhosted.org",
      "proxy.golang.org",
      "sum.golang.org",
    ]);
  });

  it("falls back to npm's registries when no file is recognised", () => {
    expect(defaultAllowedHosts([])).toEqual(["registry.npmjs.org", "registry.yarnpkg.com"]);
    expect(defaultAllowedHosts(["README.md", "Makefile"])).toEqual([
      "registry.npmjs.org",
      "registry.yarnpkg.com",
    ]);
  });

  it("does not mistake look-alike names", () => {
    expect(defaultAllowedHosts(["package.json.bak", "notgo.mod", "requirements.md", "Gemfile.lock"])).toEqual(
      DEFAULT_REGISTRY_HOSTS.npm,
    );
  });
});
