/**
 * Paths are capabilities: main acts on a path from the renderer only if the
 * user handed it over, by dropping it on the window (the preload reports the
 * drop's real path, see GRANT_CHANNEL). Everything else the renderer names is
 * an id of an entry main already holds. Dialogs return their paths to main
 * directly, so they never pass through here.
 */
import path from 'node:path';
import { UserError } from '../engine/errors';

export class PathGrants {
  private readonly granted = new Set<string>();

  /** Records a path the user dropped. */
  grant(p: string): void {
    if (typeof p === 'string' && p.length > 0 && path.isAbsolute(p) && !p.includes('\0')) this.granted.add(path.resolve(p));
  }

  /** The path, resolved, if the user handed it over; otherwise a UserError. */
  require(p: string): string {
    const resolved = path.resolve(p);
    if (!this.granted.has(resolved)) throw new UserError('the app opens only what you drop on the window or choose in a dialog', p);
    return resolved;
  }
}
