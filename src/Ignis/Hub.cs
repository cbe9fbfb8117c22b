using System.Net;
using System.Security.Cryptography;

namespace Ignis;

/// <summary>Progress of a download: bytes on disk so far and the total when the server says it (else null).</summary>
public readonly record struct DownloadProgress(string FileName, long Bytes, long? TotalBytes);

/// <summary>A checkpoint could not be fetched or failed its hash; names the URL and where a manual copy can go.</summary>
public sealed class WeightsDownloadException(string message, Exception? inner = null) : IOException(message, inner);

public static partial class Torch
{
    /// <summary>
    /// Checkpoints from URLs, cached on disk (<c>torch.hub</c>'s <c>load_state_dict_from_url</c> /
    /// <c>download_url_to_file</c>). The cache is <c>$IGNIS_HOME/hub/checkpoints</c> (default <c>~/.cache/ignis</c>); a
    /// file already in PyTorch's cache (<c>$TORCH_HOME/hub/checkpoints</c>, default <c>~/.cache/torch</c>) is used as is,
    /// without a request. Downloads go to a <c>.partial</c> file that a later attempt resumes (HTTP range requests), are
    /// checked against the SHA-256 prefix torchvision puts in its file names (<c>resnet18-f37072fd.pth</c>), and are
    /// moved into the cache only when complete and verified.
    /// </summary>
    public static class Hub
    {
        /// <summary>The client downloads use; replaceable for proxies or tests.</summary>
        public static HttpClient Http { get; set; } = new() { Timeout = TimeSpan.FromMinutes(30) };

        /// <summary>Ignis' cache root: <c>$IGNIS_HOME</c>, else <c>~/.cache/ignis</c> (<c>torch.hub.get_dir()</c>'s analogue).</summary>
        public static string Home => Environment.GetEnvironmentVariable("IGNIS_HOME") is { Length: > 0 } h ? h
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ignis");

        /// <summary>Where checkpoints are cached.</summary>
        public static string CheckpointDir => Path.Combine(Home, "hub", "checkpoints");

        /// <summary>PyTorch's checkpoint cache (<c>$TORCH_HOME/hub/checkpoints</c>, default <c>~/.cache/torch/hub/checkpoints</c>).</summary>
        public static string TorchCheckpointDir => Path.Combine(
            Environment.GetEnvironmentVariable("TORCH_HOME") is { Length: > 0 } t ? t
                : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "torch"),
            "hub", "checkpoints");

        /// <summary>The SHA-256 prefix in a torchvision-style file name (<c>name-HEX.ext</c>), or null.</summary>
        public static string? HashPrefix(string fileName)
        {
            var m = System.Text.RegularExpressions.Regex.Match(fileName, "-([a-f0-9]+)\\.");
            return m.Success ? m.Groups[1].Value : null;
        }

        /// <summary>
        /// The local path of the checkpoint at <paramref name="url"/>: from Ignis' cache, from PyTorch's cache, or downloaded
        /// (<c>torch.hub.load_state_dict_from_url</c> without the load). With <paramref name="checkHash"/>, the file name's
        /// SHA-256 prefix must match the downloaded bytes.
        /// </summary>
        public static string Fetch(string url, bool checkHash = true, IProgress<DownloadProgress>? progress = null, string? fileName = null)
        {
            fileName ??= Path.GetFileName(new Uri(url).AbsolutePath);
            if (string.IsNullOrEmpty(fileName) || fileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
                throw new ArgumentException($"cannot derive a file name from {url}", nameof(url));
            var cached = Path.Combine(CheckpointDir, fileName);
            if (File.Exists(cached)) return cached;
            var torch = Path.Combine(TorchCheckpointDir, fileName);
            if (File.Exists(torch)) return torch;
            Directory.CreateDirectory(CheckpointDir);
            Download(url, cached, checkHash ? HashPrefix(fileName) : null, progress);
            return cached;
        }

        /// <summary>Downloads, caches and loads a state dict (<c>torch.hub.load_state_dict_from_url</c>).</summary>
        public static OrderedDictionary<string, Tensor> LoadStateDictFromUrl(string url, Device? mapLocation = null, bool checkHash = true,
            IProgress<DownloadProgress>? progress = null, string? fileName = null) =>
            Torch.Load<OrderedDictionary<string, Tensor>>(Fetch(url, checkHash, progress, fileName), mapLocation);

        /// <summary>
        /// Downloads <paramref name="url"/> to <paramref name="destination"/> (<c>torch.hub.download_url_to_file</c>):
        /// resumes a <c>.partial</c> file, retries a dropped connection (3 attempts), verifies the SHA-256 prefix when given,
        /// and moves the file into place only when complete.
        /// </summary>
        public static void Download(string url, string destination, string? sha256Prefix = null, IProgress<DownloadProgress>? progress = null)
        {
            var partial = destination + ".partial";
            string name = Path.GetFileName(destination);
            Exception? last = null;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                try
                {
                    DownloadOnce(url, partial, name, progress);
                    last = null;
                    break;
                }
                catch (Exception e) when (e is IOException or HttpRequestException or TaskCanceledException)
                {
                    last = e;
                    if (e is HttpRequestException { StatusCode: not null } h && (int)h.StatusCode! is >= 400 and < 500) break; // 404 &c. will not improve
                }
            }
            if (last is not null)
                throw new WeightsDownloadException(
                    $"could not download {url} ({last.Message}). If this machine is offline, download the file elsewhere and put it at {destination}", last);
            if (sha256Prefix is not null)
            {
                string digest;
                using (var f = File.OpenRead(partial)) digest = Convert.ToHexStringLower(SHA256.HashData(f));
                if (!digest.StartsWith(sha256Prefix, StringComparison.Ordinal))
                {
                    File.Delete(partial);
                    throw new WeightsDownloadException($"{url}: SHA-256 {digest} does not start with {sha256Prefix} as the file name says; the download was discarded");
                }
            }
            File.Move(partial, destination, overwrite: true);
        }

        static void DownloadOnce(string url, string partial, string name, IProgress<DownloadProgress>? progress)
        {
            long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (have > 0) request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(have, null);
            using var response = Http.Send(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0) { File.Delete(partial); throw new IOException("stale partial download discarded"); }
            response.EnsureSuccessStatusCode();
            bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (!resumed) have = 0; // the server ignored the range: start over
            long? total = response.Content.Headers.ContentLength is long len ? len + have : null;
            using var body = response.Content.ReadAsStream();
            using var file = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = body.Read(buffer)) > 0)
            {
                file.Write(buffer, 0, n);
                have += n;
                progress?.Report(new DownloadProgress(name, have, total));
            }
            file.Flush(flushToDisk: true);
            if (total is long t && have != t) throw new IOException($"connection closed after {have} of {t} bytes");
        }
    }
}
