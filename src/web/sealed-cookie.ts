import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/** Seals values into cookie-safe strings only this server can read and only it can have made. */
export type CookieSealer = {
  /** The value as JSON, encrypted and signed, valid for `maxAgeSeconds`. */
  seal(value: unknown, maxAgeSeconds: number): string;
  /** The value, or undefined when the string was tampered with, made with another key, or expired. */
  open<T>(sealed: string): T | undefined;
};

/**
 * A derived key for one purpose, so the cookie cipher, the cookie signature and anything else never
 * share a key.
 *
 * @example
 * const signing = deriveKey(masterKey, "cookie signature");
 */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", master, "loopwright-dashboard", purpose, 32));
}

const encode = (buffer: Buffer): string => buffer.toString("base64url");

/**
 * Encrypt-then-MAC cookie values: AES-256-GCM keeps the content (a user's GitHub token) unreadable in
 * the browser, and an HMAC-SHA256 over the whole signs it; both keys are derived from `master`.
 *
 * @example
 * const sealer = createCookieSealer(masterKey);
 * const cookie = sealer.seal({ login: "octocat" }, 3600);
 * sealer.open<{ login: string }>(cookie)?.login; // "octocat"
 */
export function createCookieSealer(master: Buffer, now: () => number = Date.now): CookieSealer {
  const cipherKey = deriveKey(master, "cookie encryption");
  const macKey = deriveKey(master, "cookie signature");
  const mac = (text: string): Buffer => createHmac("sha256", macKey).update(text).digest();
  return {
    seal(value, maxAgeSeconds) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", cipherKey, iv);
      const plain = JSON.stringify({ v: value, exp: Math.floor(now() / 1000) + maxAgeSeconds });
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      const sealed = [encode(iv), encode(body), encode(cipher.getAuthTag())].join(".");
      return `${sealed}.${encode(mac(sealed))}`;
    },
    open<T>(text: string): T | undefined {
      const parts = text.split(".");
      if (parts.length !== 4) return undefined;
      const [iv, body, tag, signature] = parts as [string, string, string, string];
      const expected = mac(`${iv}.${body}.${tag}`);
      const given = Buffer.from(signature, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", cipherKey, Buffer.from(iv, "base64url"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        const plain = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
        const parsed = JSON.parse(plain.toString("utf8")) as { v: T; exp: number };
        return parsed.exp * 1000 > now() ? parsed.v : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
