using Spectre.Console;

namespace Ignis.Cli.Doctor;

/// <summary><c>ignis doctor [--json] [--no-smoke]</c>: what this machine can run, and the exact fix for what it cannot.</summary>
internal static class DoctorCommand
{
    public static int Run(IDoctorProbes probes, bool json, bool smoke, TextWriter output)
    {
        var report = DoctorAnalysis.Run(probes, smoke);
        if (json)
        {
            output.WriteLine(report.ToJson());
            return 0;
        }
        var console = ConsoleFor(output);
        Render(report, console);
        return 0;
    }

    static string E(string? s) => Markup.Escape(s ?? "");

    /// <summary>A Spectre console on <paramref name="output"/>; redirected output (a file, a test) gets 120 columns instead of 80.</summary>
    internal static IAnsiConsole ConsoleFor(TextWriter output)
    {
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal) console.Profile.Width = 120;
        return console;
    }

    static void Render(DoctorReport r, IAnsiConsole c)
    {
        c.MarkupLine($"[bold]Ignis {E(r.Runtime.Ignis)}[/] on .NET {E(r.Runtime.Dotnet)} — {E(r.Runtime.Os)} ({E(r.Runtime.Platform)})");
        c.MarkupLine(r.Process.Emulated
            ? $"[yellow]Process: {E(r.Process.Architecture)} on an {E(r.Process.MachineArchitecture)} machine — emulated.[/] {E(r.Process.Note)}"
            : $"Process: {E(r.Process.Architecture)}, native");
        c.MarkupLine($"CPU: {E(r.Cpu.Model ?? "unknown model")}, {r.Cpu.LogicalCores} logical core(s); kernels: [bold]{E(r.Cpu.Simd)}[/] — {E(r.Cpu.Explanation)}");
        c.MarkupLine($"Memory: {r.MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB");

        var nv = r.Nvidia;
        c.MarkupLine(nv.DriverFound
            ? $"NVIDIA: driver {E(nv.KernelDriverVersion ?? "")} at {E(nv.Driver.Path)}; supports CUDA up to {E(nv.DriverCudaVersion ?? "?")}; {nv.DeviceCount} GPU(s)"
            : "NVIDIA: no driver found");
        foreach (var g in nv.Devices)
            c.MarkupLine($"  {E(g.Device)}: {E(g.Name)}, {g.TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB, compute capability {E(g.ComputeCapability)}, {g.MultiProcessors} multiprocessors");
        foreach (var l in nv.Libraries)
            c.MarkupLine($"  {(l.Found ? "[green]found[/]" : "[grey]missing[/]")} {E(l.Name)}: {E(l.Found ? $"{l.Path} (CUDA {l.CudaMajor}, via {l.Via})" : "not found")}");
        if (r.OpenCl.Devices.Count == 0) c.MarkupLine($"OpenCL: no device — {E(r.OpenCl.UnavailableReason)}");
        foreach (var d in r.OpenCl.Devices)
            c.MarkupLine($"OpenCL {E(d.Device)}: {E(d.Name)} ({E(d.Platform)}, {E(d.Version)}, driver {E(d.DriverVersion)}), " +
                         $"{d.GlobalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB, {d.ComputeUnits} compute units, fp64 {(d.Fp64 ? "yes" : "no")}");
        foreach (var o in r.OtherStacks)
            c.MarkupLine($"{E(o.Name)}: {E(o.IgnisSupport)}");

        c.WriteLine();
        var table = new Table().Border(TableBorder.Rounded).AddColumn("device").AddColumn("verdict");
        foreach (var d in r.Devices)
        {
            string verdict = (d.Usable ? "[green]" : "[red]") + E(d.Verdict) + "[/]";
            if (d.Fix is not null) verdict += "\n[bold]fix:[/] " + E(d.Fix);
            table.AddRow(new Markup(E(d.Device)), new Markup(verdict));
        }
        c.Write(table);
        c.MarkupLine($"Best device: [bold]{E(r.BestDevice)}[/]");
        c.MarkupLine("[grey]Full details: ignis doctor --json (schema: docs/doctor.schema.json) — for a missing CUDA library it lists every place " +
                     "Ignis looked; IGNIS_CUDA_DRIVER/_NVRTC/_CUBLAS/_CUBLASLT/_CUDNN point Ignis at a library directly.[/]");
    }
}
