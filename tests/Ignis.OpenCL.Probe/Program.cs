using Ignis;
using Ignis.OpenCL;

// Touching the backend type loads the assembly, whose module initializer registers it (as any app referencing the package).
OpenCLBackend.Register();
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
