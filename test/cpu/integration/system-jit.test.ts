// the system-level programs (paging, gates, task switches, V86, SYSENTER, #NM/#MF) again, with the JIT
// compiling every block at first sight: the suite's own assertions must hold unchanged.

import { Cpu } from '../../../src/vm/cpu/cpu.js';

Cpu.defaultJit = { threshold: 0 };
await import('../system/system.test.js');
