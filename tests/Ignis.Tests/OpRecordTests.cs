using Ignis;
using Ignis.Autograd;
using Xunit;
using F = Ignis.Nn.Functional;

namespace Ignis.Tests;

/// <summary>Autograd nodes carry what a tracer or exporter needs: op name, ATen attributes, input/output metadata.</summary>
public class OpRecordTests
{
    static List<Node> Walk(Node root)
    {
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var order = new List<Node>();
        var stack = new Stack<Node>([root]);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            order.Add(n);
            foreach (var next in n.NextFunctions)
                if (next is not null) stack.Push(next);
        }
        return order;
    }

    [Fact]
    public void A_small_cnn_graph_can_be_walked_with_attributes_and_shapes()
    {
        Torch.ManualSeed(0);
        var x = Torch.Randn(2, 1, 28, 28);
        var w = Torch.Randn(4, 1, 3, 3).RequiresGrad_();
        var b = Torch.Zeros(4).RequiresGrad_();
        var y = F.LogSoftmax(F.MaxPool2d(F.Relu(F.Conv2d(x, w, b, stride: [2], padding: [1])), [2]).Flatten(1), 1).Sum(0, keepDim: true);
        var nodes = Walk(y.GradFn!);
        Node Find(string name) => Assert.Single(nodes, n => n.Name == name);

        var conv = Find("ConvolutionBackward0");
        Assert.Equal([2, 2], (int[])conv.Attributes["stride"]);
        Assert.Equal([1, 1], (int[])conv.Attributes["padding"]);
        Assert.Equal([1, 1], (int[])conv.Attributes["dilation"]);
        Assert.Equal(1, conv.Attributes["groups"]);
        Assert.Equal([2L, 1, 28, 28], conv.InputMeta[0].Shape);
        Assert.Equal([4L, 1, 3, 3], conv.InputMeta[1].Shape);
        Assert.Equal([2L, 4, 14, 14], conv.OutputMeta.Shape);
        Assert.Equal(DType.Float32, conv.OutputMeta.DType);
        Assert.Equal(Device.Cpu, conv.OutputMeta.Device);

        var pool = Find("MaxPool2DWithIndicesBackward0");
        Assert.Equal([2, 2], (int[])pool.Attributes["kernel_size"]);
        Assert.Equal([2, 2], (int[])pool.Attributes["stride"]);
        Assert.Equal(false, pool.Attributes["ceil_mode"]);
        Assert.Equal([2L, 4, 7, 7], pool.OutputMeta.Shape);

        Assert.Equal(1, Find("LogSoftmaxBackward0").Attributes["dim"]);
        var sum = Find("SumBackward1");
        Assert.Equal([0], (int[])sum.Attributes["dim"]);
        Assert.Equal(true, sum.Attributes["keepdim"]);
        Assert.Equal([1L, 196], sum.OutputMeta.Shape);
        Assert.Empty(Find("ReluBackward0").Attributes);
    }

    [Fact]
    public void View_and_joining_ops_record_their_arguments()
    {
        var a = Torch.Ones(2, 3).RequiresGrad_();
        var c = Torch.Cat([a, a], 1).View(3, 4).Transpose(0, 1).Narrow(0, 1, 2);
        var nodes = Walk(c.GradFn!);
        Assert.Equal([3L, 4], (long[])nodes.Single(n => n.Name == "ViewBackward0").Attributes["size"]);
        Assert.Equal(1, nodes.Single(n => n.Name == "CatBackward0").Attributes["dim"]);
        var t = nodes.Single(n => n.Name == "TransposeBackward0");
        Assert.Equal((0, 1), ((int)t.Attributes["dim0"], (int)t.Attributes["dim1"]));
        var slice = nodes.Single(n => n.Name == "SliceBackward0");
        Assert.Equal((0, 1L, 3L, 1L), ((int)slice.Attributes["dim"], (long)slice.Attributes["start"], (long)slice.Attributes["end"], (long)slice.Attributes["step"]));
    }
}
