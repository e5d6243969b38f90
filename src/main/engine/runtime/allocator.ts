/**
 * The environment an engine process runs in. A 12 MP photo passes through a few
 * hundred MB of large buffers that each live once, and on Linux every fresh
 * 4 KB page costs a fault when first written: 0.49 s per 144 MB buffer on this
 * project's VM, where rewriting it takes 6 ms. glibc's malloc backs its memory
 * with transparent huge pages (2 MB, one fault each) when its `hugetlb`
 * tunable is 1, which it reads at process start: so engine processes (the
 * engine host, the CLI, benchmark children) are started with it
 * (docs/performance.md, Session 11). Other systems' allocators ignore it.
 */

/** The glibc tunable engine processes get. */
export const ENGINE_GLIBC_TUNABLE = 'glibc.malloc.hugetlb=1';

/**
 * `env` with ENGINE_GLIBC_TUNABLE added to GLIBC_TUNABLES (kept with any the user set, and not
 * repeated), on Linux; elsewhere, or when it is already there, `env` itself.
 */
export function engineProcessEnv(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  const current = env.GLIBC_TUNABLES ?? '';
  const name = ENGINE_GLIBC_TUNABLE.split('=')[0];
  if (platform !== 'linux' || current.split(':').some((t) => t.split('=')[0] === name)) return env;
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${ENGINE_GLIBC_TUNABLE}` : ENGINE_GLIBC_TUNABLE };
}
