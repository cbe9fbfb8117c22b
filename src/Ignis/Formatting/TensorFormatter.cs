using System.Globalization;
using System.Text;

namespace Ignis.Formatting;

/// <summary>Reproduces PyTorch's <c>repr(tensor)</c> (torch/_tensor_str.py) character for character.</summary>
internal static class TensorFormatter
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Format(Tensor input)
    {
        var opts = Torch.PrintOptions;
        const string prefix = "tensor(";
        int indent = prefix.Length;
        var suffixes = new List<string>();
        if (input.Device.Type != DeviceType.Cpu) suffixes.Add($"device='{input.Device}'");
        var t = input.Detach();
        string body;
        bool defaultDType = t.DType == Torch.DefaultDType || t.DType == DType.Int64 || t.DType == DType.Bool;
        if (t.Numel == 0)
        {
            if (t.Dim != 1) suffixes.Add("size=(" + string.Join(", ", t.Shape) + (t.Dim == 1 ? ",)" : ")"));
            if (t.DType != Torch.DefaultDType) suffixes.Add("dtype=" + t.DType.TorchName());
            body = "[]";
        }
        else
        {
            if (!defaultDType) suffixes.Add("dtype=" + t.DType.TorchName());
            body = new Printer(t, opts).Render(indent);
        }
        if (input.GradFn is { } fn) suffixes.Add($"grad_fn=<{fn.Name}>");
        else if (input.RequiresGrad) suffixes.Add("requires_grad=True");
        return AddSuffixes(prefix + body, suffixes, indent, opts.LineWidth);
    }

    static string AddSuffixes(string s, List<string> suffixes, int indent, int lineWidth)
    {
        var sb = new StringBuilder(s);
        int lastLineLen = s.Length - s.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLineLen + suffix.Length + 2 > lineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(suffix);
                lastLineLen = indent + suffix.Length;
            }
            else
            {
                sb.Append(", ").Append(suffix);
                lastLineLen += suffix.Length + 2;
            }
        }
        return sb.Append(')').ToString();
    }

    /// <summary>Host copy of the values plus the recursive layout logic of <c>_tensor_str_with_formatter</c>.</summary>
    sealed class Printer
    {
        readonly long[] shape;
        readonly long[] strides;
        readonly double[]? dv;
        readonly long[]? lv;
        readonly byte[]? bv;
        readonly bool floating;
        readonly bool summarize;
        readonly PrintOptions o;
        bool intMode = true, sciMode;
        int maxWidth = 1;

        public Printer(Tensor t, PrintOptions opts)
        {
            o = opts;
            shape = t.Shape;
            strides = Tensor.ContiguousStrides(shape);
            floating = t.DType.IsFloatingPoint();
            if (floating) dv = t.ToArray<double>();
            else if (t.DType == DType.Bool) bv = t.ToArray<byte>();
            else lv = t.ToArray<long>();
            summarize = t.Numel > o.Threshold;
            var printed = new List<long>();
            Collect(0, 0, printed);
            BuildFormatter(printed);
        }

        void Collect(int dim, long off, List<long> acc)
        {
            if (dim == shape.Length) { acc.Add(off); return; }
            foreach (long i in Rows(dim))
                if (i >= 0) Collect(dim + 1, off + i * strides[dim], acc);
        }

        /// <summary>Indices printed along a dimension; -1 marks the "..." gap.</summary>
        IEnumerable<long> Rows(int dim)
        {
            long n = shape[dim];
            if (summarize && n > 2 * o.EdgeItems)
            {
                for (long i = 0; i < o.EdgeItems; i++) yield return i;
                yield return -1;
                for (long i = n - o.EdgeItems; i < n; i++) yield return i;
            }
            else
                for (long i = 0; i < n; i++) yield return i;
        }

        void BuildFormatter(List<long> offs)
        {
            if (!floating)
            {
                foreach (long off in offs) maxWidth = Math.Max(maxWidth, Raw(off).Length);
                return;
            }
            var vals = offs.Select(i => dv![i]).Where(v => double.IsFinite(v) && v != 0).ToList();
            if (vals.Count == 0) return;
            double min = vals.Min(Math.Abs), max = vals.Max(Math.Abs);
            intMode = vals.All(v => v == Math.Ceiling(v));
            if (intMode)
            {
                if (max / min > 1000.0 || max > 1.0e8)
                {
                    sciMode = true;
                    foreach (var v in vals) maxWidth = Math.Max(maxWidth, Sci(v).Length);
                }
                else
                    foreach (var v in vals) maxWidth = Math.Max(maxWidth, v.ToString("F0", Inv).Length + 1);
            }
            else if (max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4)
            {
                sciMode = true;
                foreach (var v in vals) maxWidth = Math.Max(maxWidth, Sci(v).Length);
            }
            else
                foreach (var v in vals) maxWidth = Math.Max(maxWidth, Fixed(v).Length);
            if (o.SciMode is bool forced) sciMode = forced;
        }

        string Sci(double v)
        {
            if (double.IsNaN(v)) return "nan";
            if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
            string s = v.ToString("E" + o.Precision, Inv);
            int e = s.IndexOf('E');
            int exp = int.Parse(s[(e + 1)..], Inv);
            return s[..e] + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", Inv);
        }

        string Fixed(double v) => double.IsNaN(v) ? "nan" : double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf") : v.ToString("F" + o.Precision, Inv);

        string Raw(long off) => bv != null ? (bv[off] != 0 ? "True" : "False") : lv![off].ToString(Inv);

        string FormatValue(long off)
        {
            string r;
            if (!floating) r = Raw(off);
            else
            {
                double v = dv![off];
                if (sciMode) r = Sci(v);
                else if (intMode)
                {
                    r = double.IsNaN(v) ? "nan" : double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf") : v.ToString("F0", Inv);
                    if (double.IsFinite(v)) r += ".";
                }
                else r = Fixed(v);
            }
            return r.Length < maxWidth ? new string(' ', maxWidth - r.Length) + r : r;
        }

        public string Render(int indent) => shape.Length == 0 ? FormatValue(0) : Str(0, 0, indent);

        string Str(int dim, long off, int indent)
        {
            int remaining = shape.Length - dim;
            if (remaining == 1)
            {
                int elementLength = maxWidth + 2;
                int perLine = Math.Max(1, (int)Math.Floor((double)(o.LineWidth - indent) / elementLength));
                var data = Rows(dim).Select(i => i < 0 ? " ..." : FormatValue(off + i * strides[dim])).ToList();
                var lines = new List<string>();
                for (int i = 0; i < data.Count; i += perLine) lines.Add(string.Join(", ", data.Skip(i).Take(perLine)));
                return "[" + string.Join(",\n" + new string(' ', indent + 1), lines) + "]";
            }
            var slices = Rows(dim).Select(i => i < 0 ? "..." : Str(dim + 1, off + i * strides[dim], indent + 1));
            return "[" + string.Join("," + new string('\n', remaining - 1) + new string(' ', indent + 1), slices) + "]";
        }
    }
}
