using Ignis.Backends;

namespace Ignis.Kernels;

/// <summary>
/// The OpenCL C expression of each unary and binary op per operand type, matching the CPU backend's definitions
/// (NaN propagation of max/min/ReLU, Python's floor division and modulo via fmod, NaN clamp bounds meaning "no bound").
/// Null means "no device kernel": the backend then runs the CPU kernel on a host copy (see <c>HostFallback</c>), which
/// also keeps the CPU's errors (integer division by zero) and its exact special functions.
/// </summary>
internal static class ElementwiseOps
{
    public static string? Unary(UnaryOp op, KernelType t)
    {
        string c = t.Compute;
        if (t.IsFloat)
        {
            string clamp = c == "double" ? "ig_clampd" : "ig_clamp_impl";
            return op switch
            {
                UnaryOp.Neg => "-x",
                UnaryOp.Abs => "fabs(x)",
                UnaryOp.Sign => $"(x > 0 ? ({c})1 : x < 0 ? ({c})-1 : ({c})0)",
                UnaryOp.Exp => "exp(x)",
                UnaryOp.Log => "log(x)",
                UnaryOp.Log1p => "log1p(x)",
                UnaryOp.Sqrt => "sqrt(x)",
                UnaryOp.Rsqrt => $"(({c})1 / sqrt(x))",
                UnaryOp.Sin => "sin(x)",
                UnaryOp.Cos => "cos(x)",
                UnaryOp.Tanh => "tanh(x)",
                UnaryOp.Sigmoid => $"(({c})1 / (({c})1 + exp(-x)))",
                UnaryOp.Relu => $"(isnan(x) ? x : fmax(x, ({c})0))",
                UnaryOp.Clamp => $"{clamp}(x, p0, p1)",
                UnaryOp.PowScalar => $"(p0 == 2 ? x * x : p0 == 3 ? x * x * x : p0 == 0.5 ? sqrt(x) : p0 == -1 ? ({c})1 / x : pow(x, p0))",
                UnaryOp.ScalarPow => "pow(p0, x)",
                UnaryOp.LogicalNot => "(x == 0)",
                UnaryOp.Reciprocal => $"(({c})1 / x)",
                UnaryOp.Floor => "floor(x)",
                UnaryOp.Ceil => "ceil(x)",
                UnaryOp.IsNan => "isnan(x)",
                UnaryOp.IsFinite => "isfinite(x)",
                UnaryOp.InRange => "(x >= (isnan(p0) ? -INFINITY : p0) && x <= (isnan(p1) ? INFINITY : p1))",
                UnaryOp.GreaterThan => "(x > p0)",
                UnaryOp.Erf => "erf(x)",
                UnaryOp.Gelu => $"(x * ({c})0.5 * (({c})1 + erf(x * ({c})M_SQRT1_2)))",
                UnaryOp.GeluTanh => $"(({c})0.5 * x * (({c})1 + tanh(({c})0.7978845608028654 * (x + ({c})0.044715 * x * x * x))))",
                UnaryOp.Silu => $"(x / (({c})1 + exp(-x)))",
                UnaryOp.SiluDerivative => c == "double" ? "ig_silu_d_d(x)" : "ig_silu_d_f(x)",
                UnaryOp.Hardswish => $"(x * fmin(fmax(x + ({c})3, ({c})0), ({c})6) / ({c})6)",
                UnaryOp.HardswishDerivative => $"(x < -3 ? ({c})0 : x < 3 ? x / ({c})3 + ({c})0.5 : ({c})1)",
                UnaryOp.Hardsigmoid => $"(fmin(fmax(x + ({c})3, ({c})0), ({c})6) / ({c})6)",
                UnaryOp.HardsigmoidDerivative => $"(x > -3 && x < 3 ? ({c})1 / ({c})6 : ({c})0)",
                UnaryOp.LeakyRelu => "(x > 0 ? x : x * p0)",
                UnaryOp.LeakyReluDerivative => $"(x > 0 ? ({c})1 : p0)",
                // The CPU evaluates these in double precision for every float dtype: so does the device where it has float64.
                UnaryOp.Erfinv => c == "double" ? "ig_erfinv_d(x)" : "ig_erfinv_w(x)",
                UnaryOp.GeluDerivative => c == "double" ? "ig_gelu_d_d(x)" : "ig_gelu_d_w(x)",
                UnaryOp.GeluTanhDerivative => c == "double" ? "ig_gelu_tanh_d_d(x)" : "ig_gelu_tanh_d_w(x)",
                _ => null,
            };
        }
        if (t.DType == DType.Bool)
            return op switch
            {
                UnaryOp.LogicalNot => "(x == 0)",
                UnaryOp.IsNan => "0",
                UnaryOp.IsFinite => "1",
                _ => null,
            };
        bool unsigned = t.DType == DType.UInt8;
        return op switch
        {
            UnaryOp.Neg => "-x",
            UnaryOp.Abs => unsigned ? "x" : $"({c})abs(x)",
            UnaryOp.Sign => unsigned ? "(x > 0)" : $"({c})((x > 0) - (x < 0))",
            UnaryOp.Relu => unsigned ? "x" : $"max(x, ({c})0)",
            UnaryOp.Floor or UnaryOp.Ceil => "x",
            UnaryOp.LogicalNot => "(x == 0)",
            UnaryOp.IsNan => "0",
            UnaryOp.IsFinite => "1",
            UnaryOp.PowScalar => $"ig_ipow_{c}(x, (long)p0, err)",
            _ => null,
        };
    }

    /// <summary>True when the op writes bool regardless of its input dtype.</summary>
    public static bool IsPredicate(UnaryOp op) => op is UnaryOp.LogicalNot or UnaryOp.IsNan or UnaryOp.IsFinite or UnaryOp.InRange or UnaryOp.GreaterThan;

    /// <summary>True when the op writes bool.</summary>
    public static bool IsPredicate(BinaryOp op) => op is BinaryOp.Eq or BinaryOp.Ne or BinaryOp.Lt or BinaryOp.Le or BinaryOp.Gt or BinaryOp.Ge
        or BinaryOp.LogicalAnd or BinaryOp.LogicalOr or BinaryOp.LogicalXor;

    public static string? Binary(BinaryOp op, KernelType t)
    {
        string? test = op switch
        {
            BinaryOp.Eq => "(x == y)",
            BinaryOp.Ne => "(x != y)",
            BinaryOp.Lt => "(x < y)",
            BinaryOp.Le => "(x <= y)",
            BinaryOp.Gt => "(x > y)",
            BinaryOp.Ge => "(x >= y)",
            BinaryOp.LogicalAnd => "(x != 0 && y != 0)",
            BinaryOp.LogicalOr => "(x != 0 || y != 0)",
            BinaryOp.LogicalXor => "((x != 0) != (y != 0))",
            _ => null,
        };
        if (test is not null) return test;
        string c = t.Compute;
        if (t.IsFloat)
            return op switch
            {
                BinaryOp.Add => "(x + y)",
                BinaryOp.Sub => "(x - y)",
                BinaryOp.Mul => "(x * y)",
                BinaryOp.Div => "(x / y)",
                BinaryOp.Maximum => "(isnan(x) || isnan(y) ? x + y : fmax(x, y))",
                BinaryOp.Minimum => "(isnan(x) || isnan(y) ? x + y : fmin(x, y))",
                BinaryOp.Pow => "pow(x, y)",
                BinaryOp.Atan2 => "atan2(x, y)",
                BinaryOp.FloorDiv => $"ig_floordiv_{c}(x, y)",
                BinaryOp.Remainder => $"ig_rem_{c}(x, y)",
                _ => null,
            };
        if (t.DType == DType.Bool) return null; // arithmetic on bool: the CPU decides (and errors) as PyTorch does
        return op switch
        {
            BinaryOp.Add => "(x + y)",
            BinaryOp.Sub => "(x - y)",
            BinaryOp.Mul => "(x * y)",
            BinaryOp.Maximum => "max(x, y)",
            BinaryOp.Minimum => "min(x, y)",
            // Division, modulo and power report a zero divisor or 0 to a negative power through the error word (codes below).
            BinaryOp.Div or BinaryOp.FloorDiv => $"ig_ifloordiv_{c}(x, y, err)",
            BinaryOp.Remainder => $"ig_irem_{c}(x, y, err)",
            BinaryOp.Pow => $"ig_ipow_{c}(x, (long)y, err)",
            _ => null,
        };
    }

    /// <summary>Error-word codes of the integer helpers.</summary>
    public const int ZeroDivision = 0, NegativePower = 1;

    /// <summary>True when the op's kernel takes the device's error word (integer power by a scalar).</summary>
    public static bool NeedsErrorWord(UnaryOp op, KernelType t) => !t.IsFloat && t.DType != DType.Bool && op == UnaryOp.PowScalar;

    /// <summary>True when the op's kernel takes the device's error word (integer division, modulo, power).</summary>
    public static bool NeedsErrorWord(BinaryOp op, KernelType t) =>
        !t.IsFloat && t.DType != DType.Bool && op is BinaryOp.Div or BinaryOp.FloorDiv or BinaryOp.Remainder or BinaryOp.Pow;

    /// <summary>
    /// Python's floor division and modulo and the CPU's integer power (by squaring; negative exponents leave only ±1
    /// bases) for integer type <paramref name="t"/>: BinaryKernels' FloorDivI/RemI and UnaryKernels.IntPow, term for term.
    /// </summary>
    public static string IntegerHelpers(string t) => $$"""
        inline {{t}} ig_ifloordiv_{{t}}({{t}} a, {{t}} b, __global volatile int* err) {
            if (b == 0) { atomic_min(err, {{ZeroDivision}}); return 0; }
            {{t}} q = a / b;
            if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
            return q;
        }
        inline {{t}} ig_irem_{{t}}({{t}} a, {{t}} b, __global volatile int* err) {
            if (b == 0) { atomic_min(err, {{ZeroDivision}}); return 0; }
            {{t}} r = a % b;
            if (r != 0 && ((r < 0) != (b < 0))) r += b;
            return r;
        }
        inline {{t}} ig_ipow_{{t}}({{t}} x, long e, __global volatile int* err) {
            if (e < 0) {
                if (x == 1) return 1;
                if (x == ({{t}})-1) return (e & 1) == 0 ? 1 : x;
                if (x == 0) { atomic_min(err, {{NegativePower}}); return 0; }
                return 0;
            }
            {{t}} r = 1;
            while (e > 0) { if (e & 1) r *= x; x *= x; e >>= 1; }
            return r;
        }

        """;

    /// <summary>Helpers the float expressions call (SiLU's derivative, ATen's div_floor_floating and Python's modulo through fmod).</summary>
    public static readonly string FloatHelpers = Helpers("float", "f") + Special("float", "f", "f") + "#ifdef cl_khr_fp64\n#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" +
        Helpers("double", "d") + Special("double", "d", "") + Widened("(float)ig_{0}_d((double)x)") + "#else\n" + Widened("ig_{0}_f(x)") + "#endif\n";

    /// <summary>Float wrappers (<c>_w</c>) of the special functions: through double where the device has it, as the CPU computes them.</summary>
    static string Widened(string body) => string.Concat(new[] { "erfinv", "gelu_d", "gelu_tanh_d" }.Select(f =>
        $"inline float ig_{f}_w(float x) {{ return {string.Format(body, f)}; }}\n"));

    /// <summary>
    /// erfinv (Giles' single-precision polynomial refined by three Newton steps on erf), exact GELU's derivative
    /// Φ(x) + x·φ(x) and tanh-GELU's derivative: SpecialMath's formulas, term for term.
    /// </summary>
    static string Special(string t, string suffix, string lit) => $$"""
        inline {{t}} ig_erfinv_{{suffix}}({{t}} y) {
            if (isnan(y) || y < -1 || y > 1) return NAN;
            if (y == 1) return INFINITY;
            if (y == -1) return -INFINITY;
            if (y == 0) return y;
            {{t}} w = -log((1 - y) * (1 + y)), p;
            if (w < 5) {
                w -= 2.5{{lit}};
                p = 2.81022636e-08{{lit}};
                p = 3.43273939e-07{{lit}} + p * w; p = -3.5233877e-06{{lit}} + p * w; p = -4.39150654e-06{{lit}} + p * w;
                p = 0.00021858087{{lit}} + p * w; p = -0.00125372503{{lit}} + p * w; p = -0.00417768164{{lit}} + p * w;
                p = 0.246640727{{lit}} + p * w; p = 1.50140941{{lit}} + p * w;
            } else {
                w = sqrt(w) - 3;
                p = -0.000200214257{{lit}};
                p = 0.000100950558{{lit}} + p * w; p = 0.00134934322{{lit}} + p * w; p = -0.00367342844{{lit}} + p * w;
                p = 0.00573950773{{lit}} + p * w; p = -0.0076224613{{lit}} + p * w; p = 0.00943887047{{lit}} + p * w;
                p = 1.00167406{{lit}} + p * w; p = 2.83297682{{lit}} + p * w;
            }
            {{t}} x = p * y;
            for (int i = 0; i < 3; i++) {
                {{t}} d = 1.1283791670955126{{lit}} * exp(-x * x);
                if (d == 0) break;
                x -= (erf(x) - y) / d;
            }
            return x;
        }
        inline {{t}} ig_gelu_d_{{suffix}}({{t}} x) {
            return 0.5{{lit}} * (1 + erf(x * 0.70710678118654752{{lit}})) + x * 0.3989422804014327{{lit}} * exp(-0.5{{lit}} * x * x);
        }
        inline {{t}} ig_gelu_tanh_d_{{suffix}}({{t}} x) {
            {{t}} inner = 0.79788456080286536{{lit}} * (x + 0.044715{{lit}} * x * x * x), t = tanh(inner);
            return 0.5{{lit}} * (1 + t) + 0.5{{lit}} * x * (1 - t * t) * 0.79788456080286536{{lit}} * (1 + 3 * 0.044715{{lit}} * x * x);
        }

        """;

    static string Helpers(string t, string suffix) => $$"""
        inline {{t}} ig_silu_d_{{suffix}}({{t}} x) { {{t}} s = 1 / (1 + exp(-x)); return s * (1 + x * (1 - s)); }
        inline {{t}} ig_floordiv_{{t}}({{t}} a, {{t}} b) {
            if (b == 0) return a / b;
            {{t}} mod = fmod(a, b); {{t}} div = (a - mod) / b;
            if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
            {{t}} fl;
            if (div != 0) { fl = floor(div); if (div - fl > ({{t}})0.5) fl += 1; }
            else fl = copysign(({{t}})0, a / b);
            return fl;
        }
        inline {{t}} ig_rem_{{t}}({{t}} a, {{t}} b) { {{t}} mod = fmod(a, b); if (mod != 0 && (b < 0) != (mod < 0)) mod += b; return mod; }

        """;
}
