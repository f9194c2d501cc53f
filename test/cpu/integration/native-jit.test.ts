// the host-native differential snippets and seeded random sequences again, with the JIT
// compiling every block at first sight: the suite's own assertions must hold unchanged.

import { Cpu } from '../../../src/vm/cpu/cpu.js';

Cpu.defaultJit = { threshold: 0 };
await import('../native/native-differential.test.js');
