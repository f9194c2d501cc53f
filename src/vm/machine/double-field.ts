/**
 * The initial value of a numeric object field that will hold numbers beyond V8's small
 * integers (31 bits: EIPs and linear addresses at or above 2^30, 32-bit operands, counters
 * of instructions or nanoseconds). -0 is stored as a double, so such a field is a double from
 * the start. Starting as a small integer, its first large value would change the field's
 * representation at run time, which gives the object a new hidden class and deoptimises every
 * optimised function that had checked the old one: a boot saw several such waves, each
 * followed by re-optimising most of the interpreter.
 */
export const DOUBLE_FIELD = -0;
