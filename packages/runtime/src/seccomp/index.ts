export * from './types.js';
export { SECCOMP_ARCHES, X32_SYSCALL_BIT, nativeSeccompArch, type SeccompArch } from './arch.js';
export { BPF, BPF_MAXINSNS, decodeFilter, type SockFilter } from './bpf.js';
export * from './compile.js';
export * from './docker-profile.js';
