// Usage: Ignis.AotCheck [--expect AVX512|AVX2|DEFAULT|NEON|SCALAR]
// Prints the SIMD path of each kernel family and, per family, a check against a double-precision reference and a
// bit-exact digest of the result (so a run can be compared with another build on the same ISA). Exit code 0 = all good.
return Ignis.AotCheck.KernelCheck.Run(args, Console.Out);
