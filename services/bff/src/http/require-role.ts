/** What the caller's roles allow. */
import type { Request } from 'express';
import type { Role } from './jwt.js';
import { forbidden } from './problems.js';

export function requireRole(req: Request, ...roles: Role[]): void {
  if (!req.caller.roles.some((r) => roles.includes(r))) throw forbidden(`needs one of the roles: ${roles.join(', ')}`);
}

export const has = (req: Request, role: Role) => req.caller.roles.includes(role);
