/**
 * Prints a development token (HS256, signed with JWT_SECRET).
 *   npm run token -- --role brand --sub brand-1 [--role influencer] [--expires 12h]
 *   npm run token -- --role ingest --sub shop-1 --brand brand-1      (an ingest key for brand-1's campaigns)
 */
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '@beacon/bff-service/auth';
import { mintDevToken } from '@beacon/bff-service/dev-token';

const { values } = parseArgs({
  options: {
    role: { type: 'string', multiple: true, default: [] },
    sub: { type: 'string' },
    brand: { type: 'string' },
    expires: { type: 'string', default: '12h' },
  },
});
const roles = values.role as Role[];
const { sub, brand, expires: expiresIn } = values;
const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
const problems = [
  ...(unknown.length ? [`unknown role: ${unknown.join(', ')}`] : []),
  ...(roles.includes('ingest') && !brand
    ? ['an ingest token needs --brand <brand id>: the brand whose campaigns it writes to']
    : []),
];
if (!sub || roles.length === 0 || problems.length > 0) {
  console.error(
    `usage: npm run token -- --role <${ROLES.join('|')}> --sub <id> [--brand <brand id>] [--expires 12h]` +
      problems.map((p) => `\n${p}`).join(''),
  );
  process.exit(2);
}
console.log(await mintDevToken({ sub, roles, brand, expiresIn }));
