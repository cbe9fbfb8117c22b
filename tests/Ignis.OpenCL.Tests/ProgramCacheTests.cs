using Ignis.Gpu;
using System.Security.Cryptography;
using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// The on-disk program cache: a second build of a program loads the driver's binary, and damaged, truncated or
/// driver-refused files are deleted and rebuilt from source without an error reaching the caller.
/// </summary>
[Collection("opencl serial")]
public class ProgramCacheTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    static int Run(ClDevice device, string source)
    {
        var kernel = device.Kernel(source, "answer");
        using var result = Torch.Zeros([1], DType.Int32, Cl);
        var args = new KernelArgs();
        args.Buffer(result.Storage);
        device.Launch(kernel, args, [1]);
        return result.Cpu().ToArray<int>()[0];
    }

    [OpenCLFact]
    public void A_rebuilt_program_comes_from_disk_and_bad_files_are_rebuilt_from_source()
    {
        var folder = Directory.CreateTempSubdirectory("ignis-clcache").FullName;
        ClDevice.DiskCache.DirectoryOverride = folder;
        try
        {
            var device = OpenCLBackend.DeviceOf(Cl);
            string source = $"__kernel void answer(__global int* d) {{ d[0] = 42; }}\n// {Guid.NewGuid()}\n";
            string file = ClDevice.DiskCache.FileOf(folder, device.CacheKey(source));
            Assert.Equal(42, Run(device, source));
            Assert.True(File.Exists(file), "the first build wrote no cache file");

            int hits = device.DiskCacheHits, rejects = device.DiskCacheRejects;
            device.Forget(source);
            Assert.Equal(42, Run(device, source));
            Assert.Equal(hits + 1, device.DiskCacheHits);

            // A flipped byte in the payload, a truncated file, and a well-formed file the driver refuses.
            var good = File.ReadAllBytes(file);
            var flipped = (byte[])good.Clone();
            flipped[^1] ^= 0x5A;
            var garbage = RandomNumberGenerator.GetBytes(4096);
            byte[] refused = [.. "IGNISCL1"u8, .. SHA256.HashData(garbage), .. garbage];
            foreach (var damaged in new[] { flipped, good[..20], refused })
            {
                File.WriteAllBytes(file, damaged);
                device.Forget(source);
                Assert.Equal(42, Run(device, source));
                Assert.Equal(++rejects, device.DiskCacheRejects);
                Assert.Equal(hits + 1, device.DiskCacheHits);
                // Rebuilt from source and stored again: the next build loads it.
                device.Forget(source);
                Assert.Equal(42, Run(device, source));
                Assert.Equal(++hits + 1, device.DiskCacheHits);
            }
        }
        finally
        {
            ClDevice.DiskCache.DirectoryOverride = null;
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_cache_folder_follows_the_environment()
    {
        var saved = Environment.GetEnvironmentVariable("IGNIS_OPENCL_CACHE");
        try
        {
            Environment.SetEnvironmentVariable("IGNIS_OPENCL_CACHE", "0");
            Assert.Null(ClDevice.DiskCache.Folder);
            Environment.SetEnvironmentVariable("IGNIS_OPENCL_CACHE", "/tmp/somewhere");
            Assert.Equal("/tmp/somewhere", ClDevice.DiskCache.Folder);
            Environment.SetEnvironmentVariable("IGNIS_OPENCL_CACHE", null);
            Assert.EndsWith(Path.Combine("ignis", "opencl"), ClDevice.DiskCache.Folder);
        }
        finally { Environment.SetEnvironmentVariable("IGNIS_OPENCL_CACHE", saved); }
    }
}
