// An Ignis training app (dotnet new ignis-train): a small network learns to tell two interleaved spirals apart, the
// PyTorch way — Module, optimizer, loss, Backward(), Step(). Swap the data for your own tensors, a Dataset + DataLoader,
// or Ignis.Vision's MNIST / ImageFolder (package Ignis.Vision), and `ignis doctor` tells you which devices you can use.
using Ignis;
using Ignis.Nn;
using Ignis.Optim;
using F = Ignis.Nn.Functional;

Torch.ManualSeed(0);
var (x, y) = Spirals(1000, noise: 0.2);
var model = new Sequential(new Linear(2, 64), new ReLU(), new Linear(64, 64), new ReLU(), new Linear(64, 2));
Console.WriteLine(model);
var optimizer = new Adam(model.Parameters(), lr: 0.01);

for (int epoch = 1; epoch <= 300; epoch++)
{
    optimizer.ZeroGrad();
    var logits = model.Forward(x);
    var loss = F.CrossEntropy(logits, y);
    loss.Backward();
    optimizer.Step();
    if (epoch % 50 == 0)
    {
        double accuracy = logits.Argmax(1).Eq(y).Float().Mean().Item<float>();
        Console.WriteLine($"epoch {epoch}: loss {loss.Item<float>():F4}, accuracy {accuracy:F3}");
    }
}

Torch.Save(model.StateDict(), "model.pth");   // PyTorch's format: torch.load("model.pth") reads it
Console.WriteLine("saved model.pth");

// Two spirals of n/2 points each, labels 0 and 1.
static (Tensor X, Tensor Y) Spirals(int n, double noise)
{
    var t = Torch.Linspace(0.5, 3 * Math.PI, n / 2);
    var arm = Torch.Stack([t * t.Cos(), t * t.Sin()], 1);
    var points = Torch.Cat([arm, arm * -1], 0) + Torch.Randn(n, 2) * noise;
    var labels = Torch.Cat([Torch.Zeros([n / 2], DType.Int64), Torch.Ones([n / 2], DType.Int64)]);
    return (points, labels);
}
