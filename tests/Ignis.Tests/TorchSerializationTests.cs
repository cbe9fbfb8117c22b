using Ignis;
using Ignis.Nn;
using Ignis.Serialization;
using Xunit;

namespace Ignis.Tests;

/// <summary>torch.save / torch.load: round trips through Ignis' own writer and reader, and hostile input.</summary>
public class TorchSerializationTests
{
    static string TempFile(string name) => Path.Combine(Directory.CreateTempSubdirectory().FullName, name);

    [Fact]
    public void A_state_dict_round_trips_and_loads_into_a_module()
    {
        Torch.ManualSeed(0);
        var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        var path = TempFile("mlp.pth");
        Torch.Save(model.StateDict(), path);
        var sd = Torch.Load<OrderedDictionary<string, Tensor>>(path);
        Assert.Equal(model.StateDict().Keys, sd.Keys);
        Torch.ManualSeed(1);
        var other = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        other.LoadStateDict(sd);
        var x = Torch.Randn(5, 4);
        Assert.Equal(model.Forward(x).ToArray<float>(), other.Forward(x).ToArray<float>());
    }

    [Fact]
    public void Views_keep_sharing_one_storage_and_every_dtype_survives()
    {
        var b = Torch.Arange(24.0).Reshape(4, 6).Float();
        var obj = new Dictionary<string, object?>
        {
            ["base"] = b, ["t"] = b.T, ["slice"] = b[1..3, 2..5], ["row"] = b[2],
            ["f16"] = Torch.Tensor([0.5f, -2f]).To(DType.Float16), ["bf16"] = Torch.Tensor([3.14159f]).To(DType.BFloat16),
            ["i8"] = Torch.Tensor(new sbyte[] { -5, 6 }), ["bool"] = Torch.Tensor([true, false]),
            ["param"] = new Parameter(Torch.Ones(2)), ["epoch"] = 3L, ["loss"] = 0.25, ["name"] = "run-1",
            ["flags"] = new List<object?> { true, false, null }, ["shape"] = new object?[] { 2L, 3L },
        };
        var path = TempFile("ckpt.pth");
        Torch.Save(obj, path);
        var back = Torch.Load<OrderedDictionary<object, object?>>(path);
        var t = (Tensor)back["t"]!;
        var slice = (Tensor)back["slice"]!;
        Assert.Same(((Tensor)back["base"]!).Storage, t.Storage);
        Assert.Same(t.Storage, slice.Storage);
        Assert.Equal(b.T.ToArray<float>(), t.ToArray<float>());
        Assert.Equal(b.T.Strides, t.Strides);
        Assert.Equal(b[1..3, 2..5].ToArray<float>(), slice.ToArray<float>());
        Assert.Equal(8, slice.StorageOffset);
        Assert.Equal(DType.BFloat16, ((Tensor)back["bf16"]!).DType);
        Assert.Equal([0.5, -2.0], ((Tensor)back["f16"]!).To(DType.Float64).ToArray<double>());
        Assert.IsType<Parameter>(back["param"]);
        Assert.True(((Tensor)back["param"]!).RequiresGrad);
        Assert.Equal(3L, back["epoch"]);
        Assert.Equal(0.25, back["loss"]);
        Assert.Equal("run-1", back["name"]);
        Assert.Equal(new object?[] { true, false, null }, (List<object?>)back["flags"]!);
        Assert.Equal(new object?[] { 2L, 3L }, (object?[])back["shape"]!);
    }

    static string Pickle(params byte[] pkl)
    {
        var path = TempFile("evil.pth");
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(path), System.IO.Compression.ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("evil/data.pkl").Open()) s.Write(pkl);
            using (var v = zip.CreateEntry("evil/version").Open()) v.Write("3\n"u8);
        }
        return path;
    }

    static byte[] Bytes(string s) => System.Text.Encoding.ASCII.GetBytes(s);

    [Fact]
    public void Globals_outside_the_weights_only_list_are_refused_without_running()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"ignis-pwned-{Guid.NewGuid():N}");
        var path = Pickle([0x80, 2, .. Bytes($"cos\nsystem\nX"), .. BitConverter.GetBytes(6 + marker.Length), .. Bytes("touch " + marker), 0x85, (byte)'R', (byte)'.']);
        var e = Assert.Throws<UnpicklingException>(() => Torch.Load(path));
        Assert.Contains("os.system", e.Message);
        Assert.False(File.Exists(marker));
        Assert.Contains("builtins.eval", Assert.Throws<UnpicklingException>(() => Torch.Load(Pickle([0x80, 2, .. Bytes("cbuiltins\neval\n"), (byte)'.']))).Message);
    }

    [Fact]
    public void Malformed_pickles_give_typed_errors()
    {
        Assert.Contains("memo index 5", Assert.Throws<UnpicklingException>(() => Torch.Load(Pickle([0x80, 2, (byte)'h', 5, (byte)'.']))).Message);
        // BUILD on an allowed class instance that is not an OrderedDict (a torch.Size).
        var build = Pickle([0x80, 2, .. Bytes("ctorch\nSize\n"), (byte)'K', 2, 0x85, 0x85, (byte)'R', (byte)'}', (byte)'b', (byte)'.']);
        Assert.Contains("BUILD", Assert.Throws<UnpicklingException>(() => Torch.Load(build)).Message);
        // 10,000 nested lists: refused at a fixed depth, no stack overflow.
        var deep = new List<byte> { 0x80, 2 };
        for (int i = 0; i < 10_000; i++) { deep.Add((byte)']'); deep.Add((byte)'('); }
        var deepFile = Pickle([.. deep, (byte)'.']);
        Assert.Contains("nesting deeper", Assert.Throws<UnpicklingException>(() => Torch.Load(deepFile)).Message);
        Assert.Contains("truncated", Assert.Throws<UnpicklingException>(() => Torch.Load(Pickle([0x80, 2, (byte)'X', 0xff, 0xff, 0xff, 0x7f]))).Message);
        var garbage = TempFile("garbage.pth");
        File.WriteAllBytes(garbage, [1, 2, 3, 4]);
        Assert.Contains("not a PyTorch checkpoint", Assert.Throws<UnpicklingException>(() => Torch.Load(garbage)).Message);
    }
}


/// <summary>Bounded fuzzing of the checkpoint reader: mutated PyTorch files give typed errors only, with bounded allocation.</summary>
public class TorchCheckpointFuzzTests
{
    [Theory]
    [InlineData("linear_state.pth")]
    [InlineData("mlp_state_legacy.pth")]
    [InlineData("checkpoint.pth")]
    public void Mutated_checkpoints_give_typed_errors_only(string name)
    {
        var good = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "pth", name));
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, name);
        Mutations.Check<UnpicklingException>(good, path, 700, name.Length * 7919, p => Torch.Load(p), slack: 4 << 20, perByte: 64);
    }
}

/// <summary>Optimizer state dicts in PyTorch's layout: Ignis → file → Ignis, and PyTorch's own file → Ignis.</summary>
public class OptimizerCheckpointTests
{
    [Fact]
    public void An_adam_state_dict_round_trips_and_training_continues_identically()
    {
        Torch.ManualSeed(0);
        var model = new Linear(3, 2);
        var opt = new Ignis.Optim.Adam(model.Parameters(), lr: 0.01, betas: (0.8, 0.99));
        var x = Torch.Randn(4, 3);
        void Step(Ignis.Optim.Optimizer o, Linear m) { o.ZeroGrad(); m.Forward(x).Pow(2).Sum().Backward(); o.Step(); }
        Step(opt, model);
        Step(opt, model);
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "ckpt.pth");
        Torch.Save(new Dictionary<string, object?> { ["model"] = model.StateDict(), ["optimizer"] = opt.StateDict(), ["epoch"] = 2L }, path);

        var loaded = Torch.Load<OrderedDictionary<object, object?>>(path);
        var model2 = new Linear(3, 2);
        model2.LoadStateDict((OrderedDictionary<string, Tensor>)loaded["model"]!);
        var opt2 = new Ignis.Optim.Adam(model2.Parameters());
        opt2.LoadStateDict(Ignis.Optim.OptimizerStateDict.FromPyTorch(loaded["optimizer"]));
        Assert.Equal((0.8, 0.99), opt2.ParamGroups[0].Betas);
        Step(opt, model);
        Step(opt2, model2);
        Assert.Equal(model.Weight.ToArray<float>(), model2.Weight.ToArray<float>());
    }

    [Fact]
    public void A_pytorch_adam_checkpoint_loads_into_an_ignis_optimizer()
    {
        var ckpt = Torch.Load<OrderedDictionary<object, object?>>(Path.Combine(AppContext.BaseDirectory, "Fixtures", "pth", "checkpoint.pth"));
        var model = new Linear(3, 2);
        model.LoadStateDict((OrderedDictionary<string, Tensor>)ckpt["state_dict"]!);
        var opt = new Ignis.Optim.Adam(model.Parameters());
        var sd = Ignis.Optim.OptimizerStateDict.FromPyTorch(ckpt["optimizer"]);
        opt.LoadStateDict(sd);
        var saved = (System.Collections.IDictionary)((OrderedDictionary<object, object?>)((OrderedDictionary<object, object?>)ckpt["optimizer"]!)["state"]!)[0L]!;
        Assert.Equal(((Tensor)saved["exp_avg"]!).ToArray<float>(), ((Tensor)opt.State[model.Weight]["exp_avg"]).ToArray<float>());
        Assert.Equal(2f, ((Tensor)opt.State[model.Weight]["step"]).Item<float>());
        opt.ZeroGrad();
        model.Forward(Torch.Ones(1, 3)).Sum().Backward();
        opt.Step();
        Assert.Equal(3f, ((Tensor)opt.State[model.Weight]["step"]).Item<float>());
    }
}

/// <summary>Byte order and interrupted writers.</summary>
public class TorchCheckpointRobustnessTests
{
    [Fact]
    public void A_big_endian_checkpoint_loads_with_the_same_values()
    {
        // PyTorch ≥ 2.1 on a big-endian host writes a "byteorder" record; made here by swapping a 1.13 file's storages.
        var src = Path.Combine(AppContext.BaseDirectory, "Fixtures", "pth", "linear_state.pth");
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "big.pth");
        using (var input = System.IO.Compression.ZipFile.OpenRead(src))
        using (var output = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        {
            foreach (var e in input.Entries)
            {
                using var ms = new MemoryStream();
                using (var s = e.Open()) s.CopyTo(ms);
                var data = ms.ToArray();
                if (e.FullName.Contains("/data/"))
                    for (int i = 0; i + 4 <= data.Length; i += 4) Array.Reverse(data, i, 4); // float32 storages
                using var o = output.CreateEntry(e.FullName).Open();
                o.Write(data);
            }
            using var b = output.CreateEntry("linear_state/byteorder").Open();
            b.Write("big"u8);
        }
        var little = Torch.Load<OrderedDictionary<string, Tensor>>(src);
        var bigEndian = Torch.Load<OrderedDictionary<string, Tensor>>(path);
        foreach (var (k, v) in little) Assert.Equal(v.ToArray<float>(), bigEndian[k].ToArray<float>());
    }
}

/// <summary>Real SIGKILLs of a process in the middle of saving: the target always loads, stale temp files go away.</summary>
[Collection(nameof(MemoryCounters))]
public class KilledWriterTests
{
    [Theory]
    [InlineData("pth")]
    [InlineData("safetensors")]
    public void A_writer_killed_mid_save_leaves_a_loadable_file_and_its_temp_is_removed_next_time(string format)
    {
        // The child is built with the solution, in the same configuration as this test assembly.
        var child = Path.Combine(AppContext.BaseDirectory.Replace("Ignis.Tests", "Ignis.SaveLoop"), "Ignis.SaveLoop.dll");
        Assert.True(File.Exists(child), $"{child} is missing: build the solution");
        var dir = Directory.CreateTempSubdirectory().FullName;
        var path = Path.Combine(dir, "model." + format);
        OrderedDictionary<string, Tensor> Load() => format == "pth" ? Torch.Load<OrderedDictionary<string, Tensor>>(path) : Ignis.Serialization.SafeTensors.Load(path);
        var rng = new Random(5);
        int killedWhileWriting = 0;
        for (int round = 0; round < 24 && (round < 4 || killedWhileWriting == 0); round++)
        {
            var psi = new System.Diagnostics.ProcessStartInfo("dotnet", [child, path, format, "--handshake"]) { RedirectStandardOutput = true, RedirectStandardInput = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            string? Next(string prefix)
            {
                string? l;
                while ((l = p.StandardOutput.ReadLine()) != null && !l.StartsWith(prefix)) { }
                return l;
            }
            // The child waits before every save ("ready N"), so what the test reads is what the child is doing now.
            Assert.NotNull(Next("ready"));
            p.StandardInput.WriteLine("go");
            var saved = Next("saved"); // at least one complete save, and how long it took
            Assert.NotNull(saved);
            int saveMs = int.Parse(saved.Split(' ')[2]);
            Assert.NotNull(Next("ready"));
            p.StandardInput.WriteLine("go");
            if (round % 2 == 1)
            {
                // Aim inside the write: wait until the writer's temp file appears (it exists from the start of the write
                // until the rename; the first save of this child already removed any stale one), then kill at a random
                // point of the next quarter of a save. Sleeping a share of the last save's duration instead sometimes
                // missed every save in 24 rounds on a machine whose saves took a few milliseconds.
                Assert.NotNull(Next("saving"));
                var wait = System.Diagnostics.Stopwatch.StartNew();
                while (Directory.GetFiles(dir, "*.ignis-tmp-*").Length == 0 && wait.ElapsedMilliseconds < 10_000) Thread.SpinWait(50);
                Thread.Sleep(rng.Next(0, Math.Max(1, saveMs / 4)));
            }
            else
            {
                // Anywhere: inside the save, during the rename, or after it while the child waits for the next "go".
                Thread.Sleep(rng.Next(0, 250));
            }
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            if (Directory.GetFiles(dir, "*.ignis-tmp-*").Length > 0) killedWhileWriting++;
            // Whatever moment the kill hit, the target is a complete checkpoint of one iteration.
            var sd = Load();
            float v = sd["a"][0].Item<float>();
            Assert.True(v >= 1);
            foreach (var t in sd.Values) Assert.Equal(0f, t.Sub(v).Abs().Max().Item<float>());
        }
        Assert.True(killedWhileWriting > 0, "no kill landed inside a save; the test proved nothing about temp files");
        var again = new OrderedDictionary<string, Tensor> { ["a"] = Torch.Ones(3) };
        if (format == "pth") Torch.Save(again, path); else Ignis.Serialization.SafeTensors.Save(again, path);
        Assert.Empty(Directory.GetFiles(dir, "*.ignis-tmp-*"));
        Assert.Equal([1f, 1f, 1f], Load()["a"].ToArray<float>());
    }
}
