using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Ignis;
using Ignis.Vision;
using Ignis.Nn;
using Xunit;

namespace Ignis.Tests;

/// <summary>A file server on 127.0.0.1 that counts requests, honours ranges and can drop a response mid-body.</summary>
internal sealed class LocalServer : IDisposable
{
    readonly HttpListener listener = new();
    readonly Task loop;
    public readonly Dictionary<string, byte[]> Files = new();
    public readonly List<string?> Ranges = [];
    public int Requests;
    public int DropNextAfter = -1;

    public LocalServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(Serve);
    }

    public int Port { get; }

    public string Url(string file) => $"http://127.0.0.1:{Port}/models/{file}";

    async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await listener.GetContextAsync(); }
            catch (Exception) { return; }
            Interlocked.Increment(ref Requests);
            var name = ctx.Request.Url!.AbsolutePath.Split('/')[^1];
            string? range = ctx.Request.Headers["Range"];
            lock (Ranges) Ranges.Add(range);
            if (!Files.TryGetValue(name, out var data)) { ctx.Response.StatusCode = 404; ctx.Response.Close(); continue; }
            long start = range is not null && range.StartsWith("bytes=") ? long.Parse(range[6..].TrimEnd('-')) : 0;
            if (start > 0)
            {
                ctx.Response.StatusCode = 206;
                ctx.Response.Headers["Content-Range"] = $"bytes {start}-{data.Length - 1}/{data.Length}";
            }
            ctx.Response.ContentLength64 = data.Length - start;
            int drop = Interlocked.Exchange(ref DropNextAfter, -1);
            try
            {
                if (drop >= 0)
                {
                    await ctx.Response.OutputStream.WriteAsync(data.AsMemory((int)start, drop));
                    await ctx.Response.OutputStream.FlushAsync();
                    ctx.Response.Abort(); // the connection breaks mid-file
                    continue;
                }
                await ctx.Response.OutputStream.WriteAsync(data.AsMemory((int)start));
                ctx.Response.Close();
            }
            catch (Exception) { }
        }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}

/// <summary>Checkpoint downloads against a local server: cache, PyTorch's cache, hash, resume, 404, offline, progress.</summary>
public class HubTests : IDisposable
{
    readonly string home = Directory.CreateTempSubdirectory("ignis-home").FullName;
    readonly string torchHome = Directory.CreateTempSubdirectory("torch-home").FullName;
    readonly LocalServer server = new();
    readonly byte[] checkpoint;
    readonly string file;

    public HubTests()
    {
        Environment.SetEnvironmentVariable("IGNIS_HOME", home);
        Environment.SetEnvironmentVariable("TORCH_HOME", torchHome);
        Torch.ManualSeed(0);
        var path = Path.Combine(home, "tiny.pth");
        Torch.Save(new Linear(64, 64).StateDict(), path);
        checkpoint = File.ReadAllBytes(path);
        File.Delete(path);
        file = $"tiny-{Convert.ToHexStringLower(SHA256.HashData(checkpoint))[..8]}.pth";
        server.Files[file] = checkpoint;
    }

    public void Dispose()
    {
        server.Dispose();
        Environment.SetEnvironmentVariable("IGNIS_HOME", null);
        Environment.SetEnvironmentVariable("TORCH_HOME", null);
    }

    [Fact]
    public void Downloads_once_verifies_and_serves_later_loads_from_the_cache()
    {
        var progress = new List<DownloadProgress>();
        var sd = Torch.Hub.LoadStateDictFromUrl(server.Url(file), progress: new SyncProgress(progress.Add));
        Assert.Equal(["weight", "bias"], sd.Keys);
        Assert.Equal(Path.Combine(home, "hub", "checkpoints", file), Torch.Hub.Fetch(server.Url(file)));
        Assert.Equal(1, server.Requests);
        Assert.Equal(checkpoint.Length, progress[^1].Bytes);
        Assert.Equal(checkpoint.Length, progress[^1].TotalBytes);
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.First.Bytes <= p.Second.Bytes));
    }

    [Fact]
    public void A_file_in_pytorchs_cache_is_used_without_any_request()
    {
        var dir = Path.Combine(torchHome, "hub", "checkpoints");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, file), checkpoint);
        Assert.Equal(Path.Combine(dir, file), Torch.Hub.Fetch(server.Url(file)));
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public void A_dropped_connection_resumes_where_it_stopped()
    {
        server.DropNextAfter = checkpoint.Length / 2;
        var path = Torch.Hub.Fetch(server.Url(file));
        Assert.Equal(checkpoint, File.ReadAllBytes(path));
        Assert.Equal(2, server.Requests);
        Assert.Equal($"bytes={checkpoint.Length / 2}-", server.Ranges[1]);
        Assert.False(File.Exists(path + ".partial"));
    }

    [Fact]
    public void A_wrong_hash_is_rejected_and_nothing_is_cached()
    {
        var wrong = "tiny-00000000.pth";
        server.Files[wrong] = checkpoint;
        var e = Assert.Throws<WeightsDownloadException>(() => Torch.Hub.Fetch(server.Url(wrong)));
        Assert.Contains("00000000", e.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(home, "hub", "checkpoints")));
    }

    [Fact]
    public void Not_found_and_offline_name_the_url_and_where_to_put_a_copy()
    {
        var missing = Assert.Throws<WeightsDownloadException>(() => Torch.Hub.Fetch(server.Url("nothing-12345678.pth")));
        Assert.Contains(server.Url("nothing-12345678.pth"), missing.Message);
        Assert.Contains(Path.Combine(home, "hub", "checkpoints", "nothing-12345678.pth"), missing.Message);
        Assert.Equal(1, server.Requests); // a 404 is not retried

        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var offline = Assert.Throws<WeightsDownloadException>(() => Torch.Hub.Fetch($"http://127.0.0.1:{closed}/models/{file}"));
        Assert.Contains($"127.0.0.1:{closed}", offline.Message);
        Assert.Contains("offline", offline.Message);
    }

    [Fact]
    public void The_registry_holds_torchvisions_published_weights()
    {
        var r18 = PretrainedWeights.Get("resnet18");
        Assert.Equal("https://download.pytorch.org/models/resnet18-f37072fd.pth", r18.Url);
        Assert.Equal("f37072fd", Torch.Hub.HashPrefix(Path.GetFileName(r18.Url)));
        Assert.Equal("IMAGENET1K_V2", PretrainedWeights.Get("resnet50").Name);
        Assert.Equal("IMAGENET1K_V1", PretrainedWeights.Get("resnet50", "IMAGENET1K_V1").Name);
        Assert.All(PretrainedWeights.All, w => Assert.NotNull(Torch.Hub.HashPrefix(Path.GetFileName(w.Url))));
        Assert.Contains("resnet18.IMAGENET1K_V1", Assert.Throws<KeyNotFoundException>(() => PretrainedWeights.Get("resnet99")).Message);
    }

    sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
