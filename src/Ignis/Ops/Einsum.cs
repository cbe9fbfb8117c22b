namespace Ignis;

// Op family: einsum. Operands are contracted left to right, two at a time, each pair as one batched matmul: labels
// both share and still need are the batch, labels both share and no longer need are the contraction (K), the rest
// are M and N. Labels only one operand has and nothing needs are summed out first. Everything is composed of
// differentiable views, sums and matmul, so gradients come for free.
public static partial class Torch
{
    /// <summary>
    /// Einstein summation (<c>torch.einsum(equation, *operands)</c>): "ij,jk->ik", "bij,bjk->bik", "ii->i"
    /// (a label repeated in one operand takes its diagonal), "...ij,...jk" broadcasts the ellipsis dims; without "->"
    /// the output is the ellipsis dims then the labels used once, in alphabetical order. Sizes of a label must agree
    /// (or be 1, which broadcasts).
    /// </summary>
    public static Ignis.Tensor Einsum(string equation, params Ignis.Tensor[] operands)
    {
        ArgumentNullException.ThrowIfNull(equation);
        ArgumentNullException.ThrowIfNull(operands);
        operands = (Ignis.Tensor[])operands.Clone(); // diagonals replace operands below; the caller's array stays as given
        var eq = equation.Replace(" ", "", StringComparison.Ordinal);
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        var lhs = arrow >= 0 ? eq[..arrow] : eq;
        var terms = lhs.Split(',');
        if (terms.Length != operands.Length)
            throw new ArgumentException($"einsum(): more operands were provided than specified in the equation");
        // Ellipsis dims get private labels (aligned right across operands, so they broadcast).
        int ellDims = 0;
        for (int i = 0; i < terms.Length; i++)
            if (terms[i].Contains("...", StringComparison.Ordinal))
                ellDims = Math.Max(ellDims, operands[i].Dim - (terms[i].Length - 3));
        string Ell(int count) => new([.. Enumerable.Range(0, count).Select(j => (char)(0x2460 + ellDims - count + j))]);
        var labels = new List<char[]>();
        var written = new List<string>(); // the labels as written (a repeated label counts twice for the implicit output)
        for (int i = 0; i < terms.Length; i++)
        {
            var term = terms[i];
            foreach (char ch in term.Replace("...", "", StringComparison.Ordinal))
                if (!char.IsAsciiLetter(ch)) throw new ArgumentException($"einsum(): invalid subscript given at index {term.IndexOf(ch)} in the equation string, subscripts must be in [a-zA-Z]");
            int named = term.Replace("...", "", StringComparison.Ordinal).Length;
            string expanded = term.Contains("...", StringComparison.Ordinal) ? term.Replace("...", Ell(operands[i].Dim - named), StringComparison.Ordinal) : term;
            if (expanded.Length != operands[i].Dim)
                throw new ArgumentException($"einsum(): the number of subscripts in the equation ({named}) does not match the number of dimensions ({operands[i].Dim}) for operand {i}{(term.Contains("...", StringComparison.Ordinal) ? "" : " and no ellipsis was given")}");
            written.Add(expanded);
            // A label repeated within one operand takes that operand's diagonal ("ii->i", "ii", "bjj->bj").
            var own = expanded.ToList();
            for (int p = 0; p < own.Count; p++)
            {
                int q = own.IndexOf(own[p], p + 1);
                if (q < 0) continue;
                if (operands[i].Shape[p] != operands[i].Shape[q])
                    throw new ArgumentException($"einsum(): subscript {own[p]} is repeated for operand {i} but the sizes don't match, {operands[i].Shape[q]} != {operands[i].Shape[p]}");
                operands[i] = operands[i].Diagonal(0, p, q);
                char c = own[p];
                own.RemoveAt(q);
                own.RemoveAt(p);
                own.Add(c);
                p = -1; // rescan: positions moved
            }
            labels.Add([.. own]);
        }
        char[] output;
        if (arrow >= 0)
        {
            var rhs = eq[(arrow + 2)..];
            output = (rhs.Contains("...", StringComparison.Ordinal) ? rhs.Replace("...", Ell(ellDims), StringComparison.Ordinal) : rhs).ToCharArray();
            foreach (char ch in output)
                if (!labels.Any(l => l.Contains(ch)))
                    throw new ArgumentException($"einsum(): output subscript {ch} does not appear in the equation for any input operand");
        }
        else
        {
            var counts = written.SelectMany(l => l).Where(c => c < 0x2460).GroupBy(c => c).Where(g => g.Count() == 1).Select(g => g.Key).Order();
            output = [.. Ell(ellDims), .. counts];
        }
        // Every label's size (1 broadcasts).
        var sizes = new Dictionary<char, long>();
        for (int i = 0; i < operands.Length; i++)
            for (int j = 0; j < labels[i].Length; j++)
            {
                long s = operands[i].Shape[j];
                char ch = labels[i][j];
                if (sizes.TryGetValue(ch, out long have) && have != s && have != 1 && s != 1)
                    throw new ArgumentException($"einsum(): operands do not broadcast with remapped shapes (original->remapped): subscript {(ch >= 0x2460 ? "..." : ch.ToString())} has size {have} and {s}");
                sizes[ch] = Math.Max(have, s);
            }

        var cur = operands[0];
        var curLabels = labels[0];
        for (int i = 1; i < operands.Length; i++)
        {
            var needed = new HashSet<char>(output);
            for (int j = i + 1; j < operands.Length; j++) needed.UnionWith(labels[j]);
            (cur, curLabels) = Contract(cur, curLabels, operands[i], labels[i], needed, sizes);
        }
        // Sum what the output does not keep, then order the rest as the output.
        (cur, curLabels) = SumOut(cur, curLabels, new HashSet<char>(output));
        var perm = output.Select(ch => Array.IndexOf(curLabels, ch)).ToArray();
        cur = perm.SequenceEqual(Enumerable.Range(0, perm.Length)) ? cur : cur.Permute(perm);
        var outShape = output.Select(ch => sizes[ch]).ToArray();
        return cur.Shape.SequenceEqual(outShape) ? cur : cur.Expand(outShape);
    }

    static (Ignis.Tensor, char[]) SumOut(Ignis.Tensor t, char[] labels, HashSet<char> keep)
    {
        var drop = Enumerable.Range(0, labels.Length).Where(j => !keep.Contains(labels[j])).ToArray();
        if (drop.Length == 0) return (t, labels);
        return (t.Sum(drop), labels.Where(ch => keep.Contains(ch)).ToArray());
    }

    static (Ignis.Tensor, char[]) Contract(Ignis.Tensor a, char[] la, Ignis.Tensor b, char[] lb, HashSet<char> needed, Dictionary<char, long> sizes)
    {
        // Labels only one side has and nothing later needs are summed away first.
        (a, la) = SumOut(a, la, [.. needed, .. lb]);
        (b, lb) = SumOut(b, lb, [.. needed, .. la]);
        var batch = la.Where(ch => lb.Contains(ch) && needed.Contains(ch)).ToArray();
        var k = la.Where(ch => lb.Contains(ch) && !needed.Contains(ch)).ToArray();
        var m = la.Where(ch => !lb.Contains(ch)).ToArray();
        var n = lb.Where(ch => !la.Contains(ch)).ToArray();
        long Prod(char[] ls) => ls.Aggregate(1L, (p, ch) => p * sizes[ch]);
        Ignis.Tensor Arrange(Ignis.Tensor t, char[] from, char[] order, long[] shape)
        {
            var perm = order.Select(ch => Array.IndexOf(from, ch)).ToArray();
            var p = perm.SequenceEqual(Enumerable.Range(0, perm.Length)) ? t : t.Permute(perm);
            var full = order.Select(ch => sizes[ch]).ToArray();
            if (!p.Shape.SequenceEqual(full)) p = p.Expand(full);     // size-1 labels broadcast
            return p.Reshape(shape);
        }
        var a3 = Arrange(a, la, [.. batch, .. m, .. k], [Prod(batch), Prod(m), Prod(k)]);
        var b3 = Arrange(b, lb, [.. batch, .. k, .. n], [Prod(batch), Prod(k), Prod(n)]);
        var r = a3.MatMul(b3);
        char[] rl = [.. batch, .. m, .. n];
        return (r.Reshape(rl.Select(ch => sizes[ch]).ToArray()), rl);
    }
}
