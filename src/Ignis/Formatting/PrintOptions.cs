namespace Ignis;

/// <summary>Options for tensor printing (<c>torch.set_printoptions</c>).</summary>
public sealed record PrintOptions
{
    /// <summary>Digits after the decimal point (default 4).</summary>
    public int Precision { get; init; } = 4;
    /// <summary>Element count above which printing summarises with <c>...</c> (default 1000).</summary>
    public double Threshold { get; init; } = 1000;
    /// <summary>Items shown at each end of a summarised dimension (default 3).</summary>
    public int EdgeItems { get; init; } = 3;
    /// <summary>Characters per line (default 80).</summary>
    public int LineWidth { get; init; } = 80;
    /// <summary>Force scientific notation on (true) or off (false); null chooses automatically.</summary>
    public bool? SciMode { get; init; }
}

public static partial class Torch
{
    /// <summary>Current print options.</summary>
    public static PrintOptions PrintOptions { get; private set; } = new();

    /// <summary>Sets print options (<c>torch.set_printoptions</c>); null leaves a setting unchanged, except <paramref name="sciMode"/>.</summary>
    public static void SetPrintOptions(int? precision = null, double? threshold = null, int? edgeItems = null, int? lineWidth = null, bool? sciMode = null)
    {
        var p = PrintOptions;
        PrintOptions = p with
        {
            Precision = precision ?? p.Precision,
            Threshold = threshold ?? p.Threshold,
            EdgeItems = edgeItems ?? p.EdgeItems,
            LineWidth = lineWidth ?? p.LineWidth,
            SciMode = sciMode,
        };
    }

    /// <summary>Restores the default print options.</summary>
    public static void ResetPrintOptions() => PrintOptions = new();
}
