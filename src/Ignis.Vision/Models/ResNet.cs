using Ignis.Nn;

namespace Ignis.Vision.Models;

/// <summary>
/// ResNet, ResNeXt and Wide ResNet as torchvision 0.14 builds them (<c>torchvision.models.ResNet</c>): the same module
/// tree, names and initialisation (Kaiming-normal fan-out convolutions, unit batch norms).
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    int inplanes = 64;
    int dilation = 1;
    readonly int groups;
    readonly int baseWidth;

    /// <summary>
    /// Creates the network (<c>ResNet(block, layers, num_classes, zero_init_residual, groups, width_per_group,
    /// replace_stride_with_dilation)</c>); <paramref name="bottleneck"/> selects <see cref="Bottleneck"/> blocks over
    /// <see cref="BasicBlock"/>s.
    /// </summary>
    public ResNet(bool bottleneck, int[] layers, int numClasses = 1000, bool zeroInitResidual = false, int groups = 1,
        int widthPerGroup = 64, bool[]? replaceStrideWithDilation = null)
    {
        replaceStrideWithDilation ??= [false, false, false];
        if (replaceStrideWithDilation.Length != 3)
            throw new ArgumentException($"replace_stride_with_dilation should be None or a 3-element tuple, got [{string.Join(", ", replaceStrideWithDilation)}]");
        if (layers.Length != 4) throw new ArgumentException("layers must have 4 entries");
        this.groups = groups;
        baseWidth = widthPerGroup;
        int expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        Conv1 = new Conv2d(3, inplanes, 7, stride: 2, padding: 3, bias: false);
        Bn1 = new BatchNorm2d(inplanes);
        Relu = new ReLU(true);
        Maxpool = new MaxPool2d(3, 2, 1);
        Layer1 = MakeLayer(bottleneck, 64, layers[0]);
        Layer2 = MakeLayer(bottleneck, 128, layers[1], 2, replaceStrideWithDilation[0]);
        Layer3 = MakeLayer(bottleneck, 256, layers[2], 2, replaceStrideWithDilation[1]);
        Layer4 = MakeLayer(bottleneck, 512, layers[3], 2, replaceStrideWithDilation[2]);
        Avgpool = new AdaptiveAvgPool2d(1, 1);
        Fc = new Linear(512 * expansion, numClasses);

        foreach (var m in Modules())
        {
            if (m is Conv2d c) Init.KaimingNormal_(c.Weight, mode: "fan_out", nonlinearity: "relu");
            else if (m is BatchNorm2d b) { Init.Constant_(b.Weight!, 1); Init.Constant_(b.Bias!, 0); }
        }
        if (zeroInitResidual)
            foreach (var m in Modules())
            {
                if (m is Bottleneck bt) Init.Constant_(bt.Bn3.Weight!, 0);
                else if (m is BasicBlock bb) Init.Constant_(bb.Bn2.Weight!, 0);
            }
    }

    Sequential MakeLayer(bool bottleneck, int planes, int blocks, int stride = 1, bool dilate = false)
    {
        int expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        Sequential? downsample = null;
        int previousDilation = dilation;
        if (dilate) { dilation *= stride; stride = 1; }
        if (stride != 1 || inplanes != planes * expansion)
            downsample = new Sequential(
                new Conv2d(inplanes, planes * expansion, 1, stride: stride, bias: false),
                new BatchNorm2d(planes * expansion));
        var seq = new Sequential();
        seq.Append(bottleneck
            ? new Bottleneck(inplanes, planes, stride, downsample, groups, baseWidth, previousDilation)
            : new BasicBlock(inplanes, planes, stride, downsample, groups, baseWidth, previousDilation));
        inplanes = planes * expansion;
        for (int i = 1; i < blocks; i++)
            seq.Append(bottleneck
                ? new Bottleneck(inplanes, planes, groups: groups, baseWidth: baseWidth, dilation: dilation)
                : new BasicBlock(inplanes, planes, groups: groups, baseWidth: baseWidth, dilation: dilation));
        return seq;
    }

    /// <summary>Stem convolution (<c>conv1</c>).</summary>
    public Conv2d Conv1 { get; set; }
    /// <summary>Stem batch norm (<c>bn1</c>).</summary>
    public Module<Tensor, Tensor> Bn1 { get; set; }
    /// <summary><c>relu</c>.</summary>
    public Module<Tensor, Tensor> Relu { get; set; }
    /// <summary><c>maxpool</c>.</summary>
    public Module<Tensor, Tensor> Maxpool { get; set; }
    /// <summary>Stage 1 (<c>layer1</c>).</summary>
    public Sequential Layer1 { get; set; }
    /// <summary>Stage 2 (<c>layer2</c>).</summary>
    public Sequential Layer2 { get; set; }
    /// <summary>Stage 3 (<c>layer3</c>).</summary>
    public Sequential Layer3 { get; set; }
    /// <summary>Stage 4 (<c>layer4</c>).</summary>
    public Sequential Layer4 { get; set; }
    /// <summary>Global pool (<c>avgpool</c>).</summary>
    public Module<Tensor, Tensor> Avgpool { get; set; }
    /// <summary>The head (<c>fc</c>); assign <c>new Linear(512, 10)</c> to fine-tune for 10 classes.</summary>
    public Module<Tensor, Tensor> Fc { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = Maxpool.Forward(Relu.Forward(Bn1.Forward(Conv1.Forward(input))));
        x = Layer4.Forward(Layer3.Forward(Layer2.Forward(Layer1.Forward(x))));
        return Fc.Forward(Avgpool.Forward(x).Flatten(1));
    }

    /// <summary>Two 3×3 convolutions with a shortcut (<c>torchvision.models.resnet.BasicBlock</c>).</summary>
    public sealed class BasicBlock : Module<Tensor, Tensor>
    {
        /// <summary>Output channels per <c>planes</c>.</summary>
        public const int Expansion = 1;

        /// <summary>Creates the block; <paramref name="downsample"/> maps the input onto the output's shape.</summary>
        public BasicBlock(int inplanes, int planes, int stride = 1, Module<Tensor, Tensor>? downsample = null, int groups = 1,
            int baseWidth = 64, int dilation = 1)
        {
            if (groups != 1 || baseWidth != 64) throw new ArgumentException("BasicBlock only supports groups=1 and base_width=64");
            if (dilation > 1) throw new NotSupportedException("Dilation > 1 not supported in BasicBlock");
            Conv1 = new Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false);
            Bn1 = new BatchNorm2d(planes);
            Relu = new ReLU(true);
            Conv2 = new Conv2d(planes, planes, 3, padding: 1, bias: false);
            Bn2 = new BatchNorm2d(planes);
            Downsample = downsample;
        }

        /// <summary><c>conv1</c>.</summary>
        public Conv2d Conv1 { get; }
        /// <summary><c>bn1</c>.</summary>
        public BatchNorm2d Bn1 { get; }
        /// <summary><c>relu</c>.</summary>
        public ReLU Relu { get; }
        /// <summary><c>conv2</c>.</summary>
        public Conv2d Conv2 { get; }
        /// <summary><c>bn2</c>.</summary>
        public BatchNorm2d Bn2 { get; }
        /// <summary><c>downsample</c>, or null.</summary>
        public Module<Tensor, Tensor>? Downsample { get; }

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            var o = Bn2.Forward(Conv2.Forward(Relu.Forward(Bn1.Forward(Conv1.Forward(input)))));
            var identity = Downsample?.Forward(input) ?? input;
            return Relu.Forward(o.Add(identity));
        }
    }

    /// <summary>1×1, 3×3 (grouped), 1×1 convolutions with a shortcut (<c>torchvision.models.resnet.Bottleneck</c>).</summary>
    public sealed class Bottleneck : Module<Tensor, Tensor>
    {
        /// <summary>Output channels per <c>planes</c>.</summary>
        public const int Expansion = 4;

        /// <summary>Creates the block; width = planes·baseWidth/64·groups as in torchvision.</summary>
        public Bottleneck(int inplanes, int planes, int stride = 1, Module<Tensor, Tensor>? downsample = null, int groups = 1,
            int baseWidth = 64, int dilation = 1)
        {
            int width = (int)(planes * (baseWidth / 64.0)) * groups;
            Conv1 = new Conv2d(inplanes, width, 1, bias: false);
            Bn1 = new BatchNorm2d(width);
            Conv2 = new Conv2d(width, width, 3, stride: stride, padding: dilation, dilation: dilation, groups: groups, bias: false);
            Bn2 = new BatchNorm2d(width);
            Conv3 = new Conv2d(width, planes * Expansion, 1, bias: false);
            Bn3 = new BatchNorm2d(planes * Expansion);
            Relu = new ReLU(true);
            Downsample = downsample;
        }

        /// <summary><c>conv1</c>.</summary>
        public Conv2d Conv1 { get; }
        /// <summary><c>bn1</c>.</summary>
        public BatchNorm2d Bn1 { get; }
        /// <summary><c>conv2</c>.</summary>
        public Conv2d Conv2 { get; }
        /// <summary><c>bn2</c>.</summary>
        public BatchNorm2d Bn2 { get; }
        /// <summary><c>conv3</c>.</summary>
        public Conv2d Conv3 { get; }
        /// <summary><c>bn3</c>.</summary>
        public BatchNorm2d Bn3 { get; }
        /// <summary><c>relu</c>.</summary>
        public ReLU Relu { get; }
        /// <summary><c>downsample</c>, or null.</summary>
        public Module<Tensor, Tensor>? Downsample { get; }

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            var o = Relu.Forward(Bn1.Forward(Conv1.Forward(input)));
            o = Relu.Forward(Bn2.Forward(Conv2.Forward(o)));
            o = Bn3.Forward(Conv3.Forward(o));
            var identity = Downsample?.Forward(input) ?? input;
            return Relu.Forward(o.Add(identity));
        }
    }
}
