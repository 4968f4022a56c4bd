/** Who performed a change: recorded as created_by and in audit events. */
export interface Actor {
  type: 'operator' | 'user' | 'client';
  id: string | null;
  name: string;
}

export const OPERATOR: Actor = { type: 'operator', id: null, name: 'operator' };

/** Who asks, and from where: what every change needs for its audit event. */
export interface RequestContext {
  actor: Actor;
  ip: string | null;
  userAgent: string | null;
}

export const OPERATOR_CONTEXT: RequestContext = { actor: OPERATOR, ip: null, userAgent: 'latchkey-cli' };
