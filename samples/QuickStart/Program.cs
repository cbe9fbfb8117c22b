// The classic install check: `torch.manual_seed(0); print(torch.rand(5, 3)); print(torch.cuda.is_available())`.
using Ignis;

long seed = args.Length == 2 && args[0] == "--seed" ? long.Parse(args[1]) : 0;
Torch.ManualSeed(seed);
Console.WriteLine(Torch.Rand(5, 3));
Console.WriteLine($"CUDA available: {Torch.Cuda.IsAvailable()}");
