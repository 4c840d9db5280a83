import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Identity } from '../store/account.model';
import { SimHttpError } from './sim-http.error';

/** Who may call an endpoint ("Allowed For", section 3); higher roles may call lower-role endpoints. */
export type AllowedRole = 'admins' | 'agents';

const ALLOWED_FOR = 'sim:allowed-for';

export const AllowedFor = (role: AllowedRole) => SetMetadata(ALLOWED_FOR, role);

/** The authenticated caller, set by the authentication middleware. */
export function callerOf(request: Request): Identity {
  const identity = (request as Request & { identity?: Identity }).identity;
  if (!identity) throw new SimHttpError(401, 'Unauthorized', 'Unauthorized', "Couldn't authenticate you");
  return identity;
}

@Injectable()
export class AllowedForGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const role = this.reflector.get<AllowedRole | undefined>(ALLOWED_FOR, context.getHandler());
    if (!role) return true;
    const caller = callerOf(context.switchToHttp().getRequest<Request>());
    const allowed =
      role === 'admins' ? caller.role === 'admin' : caller.role === 'admin' || caller.role === 'agent';
    if (!allowed) throw SimHttpError.forbidden();
    return true;
  }
}
