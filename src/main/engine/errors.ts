/**
 * Errors a user can act on. The CLI prints their message without a stack
 * trace; anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(message: string, readonly file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'UserError';
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}
