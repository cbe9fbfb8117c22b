using Ignis;

// Like an app that references the package and never names its types: the core loads Ignis.OpenCL on first use of an
// OpenCL device, and its module initializer registers the backend (NativeAOT keeps the assembly through
// build/Ignis.OpenCL.targets, imported below as the package does).
Console.WriteLine($"available={Torch.OpenCL.IsAvailable()}");
Console.WriteLine($"count={Torch.OpenCL.DeviceCount()}");
Console.WriteLine($"reason={Torch.OpenCL.UnavailableReason()}");
try
{
    var x = Torch.Ones(3).To("opencl");
    Console.WriteLine($"sum={(x * 2).Sum().Item<float>()}");
}
catch (Exception e)
{
    Console.WriteLine($"error={e.GetType().Name}: {e.Message}");
}
return 0;
