/**
 * Signed tracking links: base64url(JSON {c, i}) + "." + HMAC-SHA256; tampering breaks the signature.
 * Visitor cookies are signed the same way, so a client cannot adopt another visitor's id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** True when `signature` is the HMAC of `body` under `secret`, compared as text in constant time. */
function signedBy(secret: string, body: string, signature: string): boolean {
  // Compare the text, not decoded bytes: base64 ignores a last character's spare bits, so two
  // different strings can decode to the same signature.
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('base64url'));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function signLink(secret: string, campaignId: string, influencerId: string): string {
  const body = Buffer.from(JSON.stringify({ c: campaignId, i: influencerId })).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

export function verifyLink(secret: string, token: string): { campaignId: string; influencerId: string } | undefined {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return undefined;
  if (!signedBy(secret, body, signature)) return undefined;
  try {
    const { c, i } = JSON.parse(Buffer.from(body, 'base64url').toString()) as { c?: unknown; i?: unknown };
    return typeof c === 'string' && typeof i === 'string' ? { campaignId: c, influencerId: i } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The visitor a click without a valid visitor cookie is counted as: one id per (link, client IP, user
 * agent), keyed so it reveals neither. A `curl` loop is then one visitor repeating its click, which
 * earns once per repeat window, instead of a new visitor earning every time.
 */
export function anonymousVisitor(
  secret: string,
  link: { campaignId: string; influencerId: string },
  ip: string,
  userAgent: string,
): string {
  const seen = JSON.stringify([link.campaignId, link.influencerId, ip, userAgent]);
  return `a-${createHmac('sha256', `anonymous-visitor:${secret}`).update(seen).digest('hex').slice(0, 32)}`;
}

export interface VisitorCookies {
  /** The cookie value for a visitor id. */
  sign(visitorId: string): string;
  /** The visitor id of a cookie value, or undefined when it was not signed by us. */
  verify(value: string): string | undefined;
  /** Secure outside development: the cookie travels over HTTPS only. */
  secure: boolean;
}

export function visitorCookies(secret: string, secure: boolean): VisitorCookies {
  const key = `visitor:${secret}`;
  return {
    sign: (visitorId) => `${visitorId}.${createHmac('sha256', key).update(visitorId).digest('base64url')}`,
    verify: (value) => {
      const [visitorId, signature, extra] = value.split('.');
      if (!visitorId || !signature || extra !== undefined || !/^[A-Za-z0-9-]{1,64}$/.test(visitorId)) return undefined;
      return signedBy(key, visitorId, signature) ? visitorId : undefined;
    },
    secure,
  };
}
