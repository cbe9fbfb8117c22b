using System.Text.Json;
using Ignis;
using Ignis.Nn;
using Ignis.Optim;
using Xunit;

namespace Ignis.Tests;

/// <summary>
/// In-place ops under autograd against PyTorch 1.13 (tools/fixtures/make_inplace_fixtures.py → inplace.json): version
/// counters, the "modified by an inplace operation" check at backward time, leaf checks, CopySlices for writes through
/// views, index_put_ on graph tensors. Each program here is the fixture script's program of the same name, line for line.
/// </summary>
public class InPlaceAutogradTests
{
    public static IEnumerable<object[]> Cases => Fixture.Names("inplace");

    sealed class Report
    {
        public Dictionary<string, Tensor> Grads { get; } = [];
        public Dictionary<string, Tensor> Values { get; } = [];
        public Dictionary<string, string?> GradFn { get; } = [];
        public Dictionary<string, long> Versions { get; } = [];
        public Dictionary<string, bool> IsLeaf { get; } = [];
        public List<long> VersionList { get; } = [];
    }

    static (Tensor x, Tensor b, Tensor w) Leaves() => (
        Torch.Tensor(new[] { 0.5f, 1.0f, 2.0f }).RequiresGrad_(),
        Torch.Tensor(new[] { 2.0f, 3.0f, 4.0f }).RequiresGrad_(),
        Torch.Tensor(new[] { 1.5f, -0.5f, 0.25f }));

    static Tensor F32(params float[] v) => Torch.Tensor(v);
    static Tensor L(params long[] v) => Torch.Tensor(v);
    static Tensor S(double v) => Torch.Full([], v);
    static string? Fn(Tensor t) => t.GradFn?.Name;

    static readonly Dictionary<string, Func<Report?>> Programs = new()
    {
        ["exp_result_modified"] = () =>
        {
            var (x, _, _) = Leaves();
            var y = x.Exp();
            y.Add_(1.0);
            y.Sum().Backward();
            return null;
        },
        ["exp_inplace_then_modified"] = () =>
        {
            var (x, _, _) = Leaves();
            var a = x.Clone();
            a.Exp_();
            a.Add_(1.0);
            a.Sum().Backward();
            return null;
        },
        ["saved_input_modified"] = () =>
        {
            var (x, b, _) = Leaves();
            var a = x.Clone();
            var y = a * b;
            a.Add_(1.0);
            y.Sum().Backward();
            return null;
        },
        ["unsaved_input_modified"] = () =>
        {
            var (x, _, w) = Leaves();
            var a = x.Clone();
            var y = a * 2;
            a.Add_(1.0);
            (y * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Versions["a"] = a.Version; r.GradFn["a"] = Fn(a);
            return r;
        },
        ["input_not_saved_when_other_needs_no_grad"] = () =>
        {
            var (x, _, w) = Leaves();
            var a = x.Clone();
            var y = a * w;
            a.Add_(1.0);
            y.Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!;
            return r;
        },
        ["leaf_inplace"] = () =>
        {
            var (x, _, _) = Leaves();
            x.Add_(1.0);
            return null;
        },
        ["leaf_view_inplace"] = () =>
        {
            var (x, _, _) = Leaves();
            x[0].Mul_(2.0);
            return null;
        },
        ["leaf_inplace_under_no_grad_is_allowed"] = () =>
        {
            var (x, _, w) = Leaves();
            using (Torch.NoGrad()) x.Mul_(2.0);
            (x * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Versions["x"] = x.Version;
            return r;
        },
        ["saved_leaf_modified_under_no_grad"] = () =>
        {
            var (x, b, _) = Leaves();
            var y = (x * b).Sum();
            using (Torch.NoGrad()) x.Mul_(2.0);
            y.Backward();
            return null;
        },
        ["unsaved_leaf_modified_under_no_grad"] = () =>
        {
            var (x, b, _) = Leaves();
            var y = (x + b).Sum();
            using (Torch.NoGrad()) x.Mul_(2.0);
            y.Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!;
            return r;
        },
        ["optimizer_step_before_backward"] = () =>
        {
            var p = new Parameter(F32(0.5f, 1.0f, 2.0f));
            var x = F32(2.0f, 3.0f, 4.0f);
            var opt = new SGD([p], lr: 0.1);
            var loss = (p * p * x).Sum();
            p.Grad = Torch.Ones(3);
            opt.Step();
            loss.Backward();
            return null;
        },
        ["optimizer_step_before_backward_unsaved"] = () =>
        {
            var p = new Parameter(F32(0.5f, 1.0f, 2.0f));
            var x = F32(2.0f, 3.0f, 4.0f);
            var opt = new Adam([p], lr: 0.1);
            var loss = (p * x).Sum();
            p.Grad = Torch.Ones(3);
            opt.Step();
            loss.Backward();
            var r = new Report();
            r.Grads["p"] = p.Grad!; r.Versions["p"] = p.Version;
            return r;
        },
        ["optimizer_step_then_fresh_forward"] = () =>
        {
            var p = new Parameter(F32(0.5f, 1.0f, 2.0f));
            var x = F32(2.0f, 3.0f, 4.0f);
            var opt = new SGD([p], lr: 0.1, momentum: 0.9);
            for (int i = 0; i < 3; i++)
            {
                opt.ZeroGrad();
                var loss = (p * p * x).Sum();
                loss.Backward();
                opt.Step();
            }
            var r = new Report();
            r.Grads["p"] = p.Grad!; r.Values["p"] = p; r.Versions["p"] = p.Version;
            return r;
        },
        ["view_of_saved_result_modified"] = () =>
        {
            var (x, _, _) = Leaves();
            var a = x.Clone();
            var y = a.Sigmoid();
            y[0].Mul_(2.0);
            y.Sum().Backward();
            return null;
        },
        ["detached_alias_modified"] = () =>
        {
            var (x, _, _) = Leaves();
            var y = x.Exp();
            y.Detach().Zero_();
            y.Sum().Backward();
            return null;
        },
        ["relu_inplace_result_modified"] = () =>
        {
            var (x, _, _) = Leaves();
            var a = x.Clone();
            a.Relu_();
            a.Mul_(2.0);
            a.Sum().Backward();
            return null;
        },
        ["sin_inplace_keeps_original"] = () =>
        {
            var (x, _, w) = Leaves();
            var a = x.Clone();
            a.Sin_();
            (a * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.GradFn["a"] = Fn(a); r.Versions["a"] = a.Version;
            return r;
        },
        ["mul_inplace_keeps_original"] = () =>
        {
            var (x, b, w) = Leaves();
            var a = x.Clone();
            a.Mul_(b);
            (a * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!; r.GradFn["a"] = Fn(a);
            return r;
        },
        ["unary_inplace_ops"] = () =>
        {
            var x = F32(0.25f, 0.5f, 0.75f).RequiresGrad_();
            var w = F32(1.5f, -0.5f, 0.25f);
            var r = new Report();
            var ops = new (string Name, Func<Tensor, Tensor> Op)[]
            {
                ("exp_", t => t.Exp_()), ("log_", t => t.Log_()), ("sqrt_", t => t.Sqrt_()), ("sin_", t => t.Sin_()),
                ("cos_", t => t.Cos_()), ("tanh_", t => t.Tanh_()), ("sigmoid_", t => t.Sigmoid_()), ("relu_", t => t.Relu_()),
                ("neg_", t => t.Neg_()), ("abs_", t => t.Abs_()), ("pow_", t => t.Pow_(3)),
            };
            foreach (var (name, op) in ops)
            {
                x.Grad = null;
                var a = x.Clone();
                op(a);
                (a * w).Sum().Backward();
                r.Grads[name] = x.Grad!; r.GradFn[name] = Fn(a);
                Tensor c;
                using (Torch.NoGrad())
                {
                    c = x.Detach().Clone();
                    op(c);
                }
                r.Values[name] = c;
            }
            return r;
        },
        ["chain_of_inplace_ops"] = () =>
        {
            var (x, b, w) = Leaves();
            var a = x.Clone();
            a.Mul_(2.0).Add_(b).Sub_(1.0).Div_(b);
            a.Add_(b, alpha: 2);
            (a * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!; r.GradFn["a"] = Fn(a); r.Versions["a"] = a.Version;
            return r;
        },
        ["copy_slices_into_zeros"] = () =>
        {
            var (x, b, _) = Leaves();
            var @out = Torch.Zeros(2, 3);
            @out[0] = x * 2;
            @out[1, 1..] = b[..2];
            (@out * Torch.Tensor(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3)).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!; r.GradFn["out"] = Fn(@out); r.Versions["out"] = @out.Version;
            r.Values["out"] = @out;
            return r;
        },
        ["view_inplace_rewrites_base"] = () =>
        {
            var (x, b, w) = Leaves();
            var a = x.Clone();
            var v = a[1..];
            v.Mul_(b[1..]);
            (a * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!; r.GradFn["a"] = Fn(a); r.GradFn["v"] = Fn(v);
            r.Versions["a"] = a.Version; r.Versions["v"] = v.Version;
            return r;
        },
        ["other_view_regenerated"] = () =>
        {
            var (x, b, w) = Leaves();
            var a = x.Clone();
            var v = a[..2];
            a.Mul_(b);
            (v * w[..2]).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!; r.GradFn["a"] = Fn(a); r.GradFn["v"] = Fn(v);
            return r;
        },
        ["view_of_view_write"] = () =>
        {
            var (x, b, w) = Leaves();
            var a = x.Clone().Reshape(3, 1).Expand(3, 2).Contiguous();
            var y = a[1];
            y[0] = b[0] * 3;
            (a.Sum(1) * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!; r.GradFn["a"] = Fn(a); r.GradFn["y"] = Fn(y); r.Values["a"] = a;
            return r;
        },
        ["index_put_on_graph_tensor"] = () =>
        {
            var (x, _, w) = Leaves();
            var a = x.Clone();
            a[L(0, 2)] = S(0.0);
            (a * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.GradFn["a"] = Fn(a); r.Values["a"] = a;
            return r;
        },
        ["index_put_values_with_grad"] = () =>
        {
            var (x, b, _) = Leaves();
            var @out = Torch.Zeros(4);
            @out[L(3, 1, 3)] = b;
            var acc = Torch.Zeros(4);
            acc.IndexPut_([L(3, 1, 3)], x, accumulate: true);
            (@out * F32(1f, 2f, 3f, 4f) + acc * F32(5f, 6f, 7f, 8f)).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!; r.GradFn["out"] = Fn(@out); r.GradFn["acc"] = Fn(acc);
            r.Values["out"] = @out; r.Values["acc"] = acc;
            return r;
        },
        ["mask_assign_on_graph_tensor"] = () =>
        {
            var (x, b, w) = Leaves();
            var a = x * b;
            a[a.Gt(2.5)] = S(-1.0);
            (a * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!; r.GradFn["a"] = Fn(a); r.Values["a"] = a;
            return r;
        },
        ["column_zeroed_in_network"] = () =>
        {
            Torch.ManualSeed(0);
            var lin = new Linear(3, 4);
            var inp = Torch.Tensor(new[] { 0.5f, -1.0f, 2.0f, 1.5f, 0.25f, -0.75f }, 2, 3);
            var h = lin.Forward(inp);
            h[.., L(1, 3)] = S(0);
            (h * h).Sum().Backward();
            var r = new Report();
            r.Grads["weight"] = lin.Weight.Grad!; r.Grads["bias"] = lin.Bias!.Grad!; r.GradFn["h"] = Fn(h);
            return r;
        },
        ["fill_zero_copy_clamp_maskedfill"] = () =>
        {
            var (x, b, w) = Leaves();
            var a1 = x.Clone(); a1.Fill_(3.0);
            var a2 = x.Clone(); a2.Zero_();
            var a3 = x.Clone(); a3.Copy_(b * 2);
            var a4 = x.Clone(); a4.Clamp_(0.75, 1.5);
            var a5 = x.Clone(); a5.MaskedFill_(Torch.Tensor(new[] { true, false, true }), 7.0);
            ((a1 + a2 + a3 + a4 + a5) * w).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!;
            r.GradFn["a1"] = Fn(a1); r.GradFn["a2"] = Fn(a2); r.GradFn["a3"] = Fn(a3); r.GradFn["a4"] = Fn(a4); r.GradFn["a5"] = Fn(a5);
            return r;
        },
        ["random_fill_on_graph_tensor"] = () =>
        {
            var (x, _, w) = Leaves();
            Torch.ManualSeed(3);
            var a = x.Clone();
            a.Uniform_();
            var c = x.Clone();
            c.Normal_();
            (a * w + c).Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.GradFn["a"] = Fn(a); r.GradFn["c"] = Fn(c); r.Values["a"] = a; r.Values["c"] = c;
            return r;
        },
        ["nograd_tensor_gains_history"] = () =>
        {
            var (x, b, _) = Leaves();
            var a = Torch.Ones(3);
            a.Add_(x);
            a.Mul_(b);
            a.Sum().Backward();
            var r = new Report();
            r.Grads["x"] = x.Grad!; r.Grads["b"] = b.Grad!; r.GradFn["a"] = Fn(a); r.IsLeaf["a"] = a.IsLeaf;
            return r;
        },
        ["versions_count_every_write"] = () =>
        {
            var a = Torch.Zeros(2, 3);
            var v = a[0];
            var r = new Report();
            r.VersionList.Add(a.Version);
            a.Add_(1.0); r.VersionList.Add(a.Version);
            v.Mul_(2.0); r.VersionList.Add(a.Version);
            a[1] = S(5); r.VersionList.Add(a.Version);
            a.Detach().Zero_(); r.VersionList.Add(a.Version);
            a[L(0)] = S(1); r.VersionList.Add(a.Version);
            using (Torch.NoGrad()) a.Clamp_(0, 1);
            r.VersionList.Add(a.Version);
            var c = a.Clone(); r.VersionList.Add(c.Version);
            r.Versions["v"] = v.Version;
            return r;
        },
        ["saved_index_modified"] = () =>
        {
            var (x, _, _) = Leaves();
            var idx = L(2, 0);
            var y = x.IndexSelect(0, idx);
            idx.Add_(0L);
            y.Sum().Backward();
            return null;
        },
        ["softmax_result_modified"] = () =>
        {
            var (x, _, _) = Leaves();
            var p = x.Softmax(0);
            p.Mul_(2.0);
            p.Sum().Backward();
            return null;
        },
        ["matmul_saved_weight_modified"] = () =>
        {
            Torch.ManualSeed(0);
            var wt = Torch.Randn([3, 2], requiresGrad: true);
            var h = Torch.Randn([4, 3], requiresGrad: true).Clone();
            var y = h.Mm(wt);
            h.Mul_(2.0);
            y.Sum().Backward();
            return null;
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch(string name)
    {
        var c = Fixture.Case("inplace", name);
        Assert.True(Programs.TryGetValue(name, out var program), $"no C# program for fixture case {name}");
        if (c.TryGetProperty("error", out var err))
        {
            var ex = Record.Exception(() => program());
            Assert.NotNull(ex);
            Assert.Equal(err.GetProperty("message").GetString(), ex!.Message);
            Assert.IsType<InvalidOperationException>(ex);
            return;
        }
        var report = program() ?? throw new Xunit.Sdk.XunitException($"{name}: the program reported nothing");
        var ok = c.GetProperty("ok");
        foreach (var p in ok.EnumerateObject())
        {
            switch (p.Name)
            {
                case "grads":
                    foreach (var g in p.Value.EnumerateObject())
                        Fixture.AssertClose(Fixture.ToTensor(g.Value), report.Grads[g.Name], $"{name} grad {g.Name}", 1e-5, 1e-6);
                    break;
                case "values":
                    foreach (var g in p.Value.EnumerateObject())
                        Fixture.AssertClose(Fixture.ToTensor(g.Value), report.Values[g.Name].Detach(), $"{name} value {g.Name}", 1e-5, 1e-6);
                    break;
                case "grad_fn":
                    foreach (var g in p.Value.EnumerateObject())
                        Assert.True(g.Value.GetString() == report.GradFn[g.Name], $"{name}: grad_fn of {g.Name} is {report.GradFn[g.Name]}, PyTorch's {g.Value.GetString()}");
                    break;
                case "versions":
                    foreach (var g in p.Value.EnumerateObject())
                        Assert.True(g.Value.GetInt64() == report.Versions[g.Name], $"{name}: _version of {g.Name} is {report.Versions[g.Name]}, PyTorch's {g.Value.GetInt64()}");
                    break;
                case "is_leaf":
                    foreach (var g in p.Value.EnumerateObject()) Assert.Equal(g.Value.GetBoolean(), report.IsLeaf[g.Name]);
                    break;
                case "version_list":
                    Assert.Equal(p.Value.EnumerateArray().Select(v => v.GetInt64()), report.VersionList);
                    break;
                default:
                    throw new Xunit.Sdk.XunitException($"{name}: unknown report entry {p.Name}");
            }
        }
    }

    public static IEnumerable<object[]> GradCheckCases => InPlacePrograms.Keys.Select(k => new object[] { k });

    // Functions of float64 inputs whose graphs go through in-place ops: unary ops, CopySlices through views, index_put_
    // with and without accumulate, mask assignment, copy_ and the binary ops — each checked against finite differences.
    static readonly Dictionary<string, Func<Tensor[], Tensor>> InPlacePrograms = new()
    {
        // Each chain ends with at most one op that saves its result (exp_, tanh_, sigmoid_, sqrt_, relu_): writing
        // over a saved result afterwards is PyTorch's "modified by an inplace operation" error, as the fixtures show.
        ["unary_ops"] = t =>
        {
            var r1 = t[0].Clone(); r1.Sin_().Mul_(t[1]).Exp_();
            var r2 = t[0].Clone(); r2.Tanh_();
            var r3 = t[1].Clone(); r3.Sigmoid_();
            var r4 = t[0].Clone(); r4.Pow_(2).Add_(1.0).Sqrt_();
            var r5 = t[1].Clone(); r5.Cos_().Neg_().Abs_().Add_(0.5).Log_();
            var r6 = t[0].Clone(); r6.Relu_();
            return Torch.Cat([r1, r2, r3, r4, r5, r6]);
        },
        ["copy_slices"] = t =>
        {
            var @out = Torch.Zeros([2, 3], DType.Float64);
            @out[0] = t[0] * t[1];
            @out[1, 1..] = t[1][..2].Exp();
            var v = @out[.., 1..];
            v.Mul_(t[0][1..]);
            return @out;
        },
        ["index_put"] = t =>
        {
            var a = t[0].Clone();
            a[Torch.Tensor(new long[] { 0, 2 })] = t[1][..2] * 3;
            var acc = Torch.Zeros([4], DType.Float64);
            acc.IndexPut_([Torch.Tensor(new long[] { 3, 1, 3 })], t[0] * t[1], accumulate: true);
            a[a.Gt(0.5)] = Torch.Full([], -1.0, DType.Float64);
            return Torch.Cat([a, acc]);
        },
        ["binary_and_copy"] = t =>
        {
            var a = t[0].Clone();
            a.Add_(t[1], alpha: 2).Sub_(t[1].Square()).Div_(t[1].Add(3.0)).Mul_(t[0]);
            var b = Torch.Empty([3], DType.Float64);
            b.Copy_(a.Relu());
            b.Clamp_(-0.5, 0.75);
            return b + a.MaskedFill(Torch.Tensor(new[] { true, false, false }), 0.25);
        },
    };

    [Theory]
    [MemberData(nameof(GradCheckCases))]
    public void Graphs_through_in_place_ops_pass_gradcheck(string name)
    {
        var x = Torch.Tensor(new[] { 0.3, 0.9, 0.6 }).RequiresGrad_();
        var y = Torch.Tensor(new[] { 0.7, -0.4, 1.1 }).RequiresGrad_();
        var report = Autograd.GradCheck.Check(InPlacePrograms[name], [x, y]);
        Assert.True(report.Passed, $"{name}: {report.Detail}");
    }

    [Fact]
    public void Every_fixture_case_has_a_program_and_every_program_a_case()
    {
        var names = Cases.Select(c => (string)c[0]).ToHashSet();
        Assert.Equal(names.Order(), Programs.Keys.Order());
    }
}
