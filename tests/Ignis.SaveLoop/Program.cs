// Usage: Ignis.SaveLoop PATH pth|safetensors [--handshake] — saves a 96 MB state dict whose every element equals the
// iteration number, again and again, printing "saving N" before and "saved N MS" (the save's duration) after each save,
// until the process is killed.
// With --handshake it prints "ready N" and waits for a line on stdin before each save, so a test that kills it never
// reads output the child has long run past (on a loaded machine the reader lagged whole saves behind).
using Ignis;
using Ignis.Serialization;

string path = args[0];
bool safetensors = args.Length > 1 && args[1] == "safetensors";
bool handshake = args.Contains("--handshake");
var a = Torch.Zeros(8 << 20);
var b = Torch.Zeros(8 << 20);
var c = Torch.Zeros(8 << 20);
var stateDict = new OrderedDictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["c"] = c };
for (long i = 1; ; i++)
{
    foreach (var t in stateDict.Values) t.Fill_(i);
    if (handshake)
    {
        Console.WriteLine($"ready {i}");
        if (Console.In.ReadLine() is null) return;
    }
    Console.WriteLine($"saving {i}");
    var watch = System.Diagnostics.Stopwatch.StartNew();
    if (safetensors) SafeTensors.Save(stateDict, path);
    else Torch.Save(stateDict, path);
    Console.WriteLine($"saved {i} {(int)watch.Elapsed.TotalMilliseconds}");
}
