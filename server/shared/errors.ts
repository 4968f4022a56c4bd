// One error type for the management plane and the CLI. Inside oidc-provider hooks, throw the
// provider's own `errors.*` classes instead: they render RFC 6749 §5.2 bodies.
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    /** Response headers that belong to this error (WWW-Authenticate, Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'AppError';
  }

  toJSON() {
    return { error: this.code, error_description: this.description };
  }

  static invalidRequest(description: string) {
    return new AppError(400, 'invalid_request', description);
  }

  static notFound(what: string) {
    return new AppError(404, 'not_found', `${what} not found`);
  }

  static conflict(description: string) {
    return new AppError(409, 'conflict', description);
  }

  static tooManyRequests(description: string, retryAfterSeconds: number) {
    return new AppError(429, 'too_many_requests', description, { 'Retry-After': String(retryAfterSeconds) });
  }
}
