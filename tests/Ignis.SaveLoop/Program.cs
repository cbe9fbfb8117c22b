// Usage: Ignis.SaveLoop PATH pth|safetensors — saves a 48 MB state dict whose every element equals the iteration number,
// again and again, printing "saving N" before and "saved N" after each save, until the process is killed.
using Ignis;
using Ignis.Serialization;

string path = args[0];
bool safetensors = args.Length > 1 && args[1] == "safetensors";
var a = Torch.Zeros(3 << 20);
var b = Torch.Zeros(3 << 20);
var c = Torch.Zeros(3 << 20);
var stateDict = new OrderedDictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["c"] = c };
for (long i = 1; ; i++)
{
    foreach (var t in stateDict.Values) t.Fill_(i);
    Console.WriteLine($"saving {i}");
    if (safetensors) SafeTensors.Save(stateDict, path);
    else Torch.Save(stateDict, path);
    Console.WriteLine($"saved {i}");
}
