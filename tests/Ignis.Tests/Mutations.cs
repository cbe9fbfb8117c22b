using Xunit;

namespace Ignis.Tests;

/// <summary>Bounded fuzzing shared by the file-format readers: random byte changes and truncations of a valid file.</summary>
internal static class Mutations
{
    /// <summary>
    /// Feeds <paramref name="count"/> mutants of <paramref name="good"/> to <paramref name="load"/> (which reads the file at
    /// <paramref name="path"/>); only <typeparamref name="TError"/> may escape, and allocation stays within
    /// <paramref name="slack"/> + <paramref name="perByte"/> × the mutant's size.
    /// </summary>
    public static void Check<TError>(byte[] good, string path, int count, int seed, Action<string> load, long slack, long perByte)
        where TError : Exception
    {
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var bad = (byte[])good.Clone();
            int flips = 1 + rng.Next(6);
            for (int j = 0; j < flips; j++) bad[rng.Next(bad.Length)] = (byte)rng.Next(256);
            if (rng.Next(5) == 0) bad = bad[..rng.Next(bad.Length)];
            File.WriteAllBytes(path, bad);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { load(path); }
            catch (TError) { }
            catch (Exception e) { throw new Xunit.Sdk.XunitException($"mutation {i}: {e.GetType().Name}: {e.Message}"); }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < slack + perByte * bad.Length, $"mutation {i}: {allocated} bytes allocated for a {bad.Length}-byte file");
        }
    }
}
