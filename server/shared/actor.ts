/** Who performed a change: recorded as created_by and, later, in audit events. */
export interface Actor {
  type: 'operator' | 'user' | 'client';
  id: string | null;
  name: string;
}

export const OPERATOR: Actor = { type: 'operator', id: null, name: 'operator' };
