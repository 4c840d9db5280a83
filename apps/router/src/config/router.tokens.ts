/** Injection token for the frozen `RouterConfig`. */
export const ROUTER_CONFIG = Symbol('ROUTER_CONFIG');
