using ScottPlot;

namespace Ignis.Cli;

/// <summary>PNG charts (ScottPlot): training curves for <c>ignis train</c>, epoch times for <c>ignis bench</c>.</summary>
internal static class Charts
{
    /// <summary>Loss and accuracy per epoch, training and validation, from the rows of metrics.csv.</summary>
    public static void TrainingCurves(IReadOnlyList<(int Epoch, double Loss, double Accuracy, double ValLoss, double ValAccuracy)> rows, string lossPng, string accuracyPng)
    {
        double[] x = rows.Select(r => (double)r.Epoch).ToArray();
        Save(x, rows.Select(r => r.Loss).ToArray(), rows.Select(r => r.ValLoss).ToArray(), "loss", lossPng);
        Save(x, rows.Select(r => r.Accuracy).ToArray(), rows.Select(r => r.ValAccuracy).ToArray(), "accuracy", accuracyPng);

        static void Save(double[] x, double[] train, double[] val, string what, string path)
        {
            var plot = new Plot();
            var t = plot.Add.Scatter(x, train);
            t.LegendText = "training";
            var v = plot.Add.Scatter(x, val);
            v.LegendText = "validation";
            plot.Title(what);
            plot.XLabel("epoch");
            plot.YLabel(what);
            plot.ShowLegend();
            plot.SavePng(path, 640, 420);
        }
    }

    /// <summary>Mean epoch seconds per model, one bar per device.</summary>
    public static void EpochTimes(IReadOnlyList<(string Model, string Device, double Seconds)> rows, string png)
    {
        var plot = new Plot();
        var models = rows.Select(r => r.Model).Distinct().ToArray();
        var devices = rows.Select(r => r.Device).Distinct().ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        for (int m = 0; m < models.Length; m++)
            for (int d = 0; d < devices.Length; d++)
                if (rows.FirstOrDefault(r => r.Model == models[m] && r.Device == devices[d]) is { Model: not null } row)
                    bars.Add(new Bar { Position = m * (devices.Length + 1) + d, Value = row.Seconds, FillColor = palette.GetColor(d) });
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            models.Select((name, m) => new Tick(m * (devices.Length + 1) + (devices.Length - 1) / 2.0, name)).ToArray());
        for (int d = 0; d < devices.Length; d++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = devices[d], FillColor = palette.GetColor(d) });
        plot.ShowLegend();
        plot.Title("mean epoch time");
        plot.YLabel("seconds");
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(png, Math.Max(480, 140 * models.Length), 420);
    }
}
