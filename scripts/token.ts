/**
 * Prints a development token (HS256, signed with JWT_SECRET).
 *   npm run token -- --role brand --sub brand-1 [--role influencer] [--expires 12h]
 */
import { mintDevToken, ROLES, type Role } from '../services/bff/src/auth.js';

const args = process.argv.slice(2);
const roles: Role[] = [];
let sub: string | undefined;
let expiresIn = '12h';
for (let i = 0; i < args.length; i++) {
  const value = args[i + 1];
  if (args[i] === '--role' && value) (roles.push(value as Role), i++);
  else if (args[i] === '--sub' && value) (sub = value, i++);
  else if (args[i] === '--expires' && value) (expiresIn = value, i++);
}
const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
if (!sub || roles.length === 0 || unknown.length > 0) {
  console.error(`usage: npm run token -- --role <${ROLES.join('|')}> --sub <id> [--expires 12h]${unknown.length ? `\nunknown role: ${unknown.join(', ')}` : ''}`);
  process.exit(2);
}
console.log(await mintDevToken({ sub, roles, expiresIn }));
