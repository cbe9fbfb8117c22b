using System.Diagnostics;
using BenchmarkDotNet.Running;
using Ignis.Benchmarks;

// `side-by-side` (default): Ignis and libtorch interleaved in one process. `bdn …`: BenchmarkDotNet micro-benchmarks.
if (args.Length > 0 && args[0] == "bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(SideBySide).Assembly).Run(args[1..]);
    return 0;
}
// libtorch's allocator returns big buffers to the kernel every step unless malloc is tuned; the shared note
// measured that as a 4x slowdown, so the peer always runs tuned. The variable must be set before the process starts.
if (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is null && OperatingSystem.IsLinux())
{
    var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
    foreach (var a in Environment.GetCommandLineArgs().Skip(Environment.ProcessPath!.EndsWith("dotnet") ? 0 : 1)) psi.ArgumentList.Add(a);
    psi.Environment["GLIBC_TUNABLES"] = SideBySide.MallocTuning;
    using var p = Process.Start(psi)!;
    p.WaitForExit();
    return p.ExitCode;
}
return SideBySide.Run(args);
