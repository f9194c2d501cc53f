// A kernel-loading error. QEMU prints these as `qemu: <message>`; termu as `termu: <message>`.

export class BootError extends Error {}
