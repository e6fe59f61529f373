/** Signed tracking links: base64url(JSON {c, i}) + "." + HMAC-SHA256; tampering breaks the signature. */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signLink(secret: string, campaignId: string, influencerId: string): string {
  const body = Buffer.from(JSON.stringify({ c: campaignId, i: influencerId })).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

export function verifyLink(secret: string, token: string): { campaignId: string; influencerId: string } | undefined {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return undefined;
  // Compare the text, not decoded bytes: base64 ignores a last character's spare bits, so two
  // different strings can decode to the same signature.
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const { c, i } = JSON.parse(Buffer.from(body, 'base64url').toString()) as { c?: unknown; i?: unknown };
    return typeof c === 'string' && typeof i === 'string' ? { campaignId: c, influencerId: i } : undefined;
  } catch {
    return undefined;
  }
}
