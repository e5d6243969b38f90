/** The engine processes' environment: glibc's huge-page tunable on Linux, added to what the user set, never twice, and nothing elsewhere. */
import { describe, expect, it } from 'vitest';
import { ENGINE_GLIBC_TUNABLE, engineProcessEnv } from '../../../../src/main/engine/runtime/allocator';

describe('engineProcessEnv', () => {
  it('adds the tunable on Linux and keeps the rest of the environment', () => {
    const env = engineProcessEnv({ PATH: '/bin' }, 'linux');
    expect(env).toEqual({ PATH: '/bin', GLIBC_TUNABLES: ENGINE_GLIBC_TUNABLE });
  });
  it("keeps the user's own tunables", () => {
    expect(engineProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux').GLIBC_TUNABLES).toBe(`glibc.malloc.arena_max=2:${ENGINE_GLIBC_TUNABLE}`);
  });
  it('returns the same environment when the tunable is set already (by the user, or by a relaunch)', () => {
    const mine = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' };
    expect(engineProcessEnv(mine, 'linux')).toBe(mine);
    const set = engineProcessEnv({}, 'linux');
    expect(engineProcessEnv(set, 'linux')).toBe(set);
  });
  it.each(['darwin', 'win32'] as const)('changes nothing on %s', (platform) => {
    const env = { PATH: 'x' };
    expect(engineProcessEnv(env, platform)).toBe(env);
  });
});
