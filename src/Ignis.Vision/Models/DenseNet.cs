using Ignis.Nn;

namespace Ignis.Vision.Models;

/// <summary>DenseNet as torchvision 0.14 builds it (<c>torchvision.models.DenseNet</c>; densenet121 = growth 32, blocks 6/12/24/16).</summary>
public sealed class DenseNet : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the network (<c>DenseNet(growth_rate, block_config, num_init_features, bn_size, drop_rate, num_classes)</c>).
    /// torchvision's <c>memory_efficient</c> (activation checkpointing) is not offered: it changes memory, not results.
    /// </summary>
    public DenseNet(int growthRate = 32, int[]? blockConfig = null, int numInitFeatures = 64, int bnSize = 4, double dropRate = 0,
        int numClasses = 1000)
    {
        blockConfig ??= [6, 12, 24, 16];
        Features = new Sequential(
            ("conv0", new Conv2d(3, numInitFeatures, 7, stride: 2, padding: 3, bias: false)),
            ("norm0", new BatchNorm2d(numInitFeatures)),
            ("relu0", new ReLU(true)),
            ("pool0", new MaxPool2d(3, 2, 1)));
        int numFeatures = numInitFeatures;
        for (int i = 0; i < blockConfig.Length; i++)
        {
            Features.AddModule($"denseblock{i + 1}", new DenseBlock(blockConfig[i], numFeatures, bnSize, growthRate, dropRate));
            numFeatures += blockConfig[i] * growthRate;
            if (i != blockConfig.Length - 1)
            {
                Features.AddModule($"transition{i + 1}", new Transition(numFeatures, numFeatures / 2));
                numFeatures /= 2;
            }
        }
        Features.AddModule("norm5", new BatchNorm2d(numFeatures));
        Classifier = new Linear(numFeatures, numClasses);
        foreach (var m in Modules())
        {
            switch (m)
            {
                case Conv2d c: Init.KaimingNormal_(c.Weight); break;
                case BatchNorm2d b: Init.Constant_(b.Weight!, 1); Init.Constant_(b.Bias!, 0); break;
                case Linear l: Init.Constant_(l.Bias!, 0); break;
            }
        }
    }

    /// <summary>The trunk (<c>features</c>).</summary>
    public Sequential Features { get; set; }
    /// <summary>The head (<c>classifier</c>).</summary>
    public Module<Tensor, Tensor> Classifier { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = Features.Forward(input).Relu();
        return Classifier.Forward(Torch.AdaptiveAvgPool2d(x, [1, 1]).Flatten(1));
    }

    /// <summary>BN-ReLU-Conv1×1-BN-ReLU-Conv3×3 on the concatenation of all earlier features (<c>_DenseLayer</c>).</summary>
    public sealed class DenseLayer : Module
    {
        /// <summary>Creates the layer.</summary>
        public DenseLayer(int numInputFeatures, int growthRate, int bnSize, double dropRate)
        {
            Norm1 = new BatchNorm2d(numInputFeatures);
            Relu1 = new ReLU(true);
            Conv1 = new Conv2d(numInputFeatures, bnSize * growthRate, 1, bias: false);
            Norm2 = new BatchNorm2d(bnSize * growthRate);
            Relu2 = new ReLU(true);
            Conv2 = new Conv2d(bnSize * growthRate, growthRate, 3, padding: 1, bias: false);
            DropRate = dropRate;
        }

        /// <summary><c>norm1</c>.</summary>
        public BatchNorm2d Norm1 { get; }
        /// <summary><c>relu1</c>.</summary>
        public ReLU Relu1 { get; }
        /// <summary><c>conv1</c>.</summary>
        public Conv2d Conv1 { get; }
        /// <summary><c>norm2</c>.</summary>
        public BatchNorm2d Norm2 { get; }
        /// <summary><c>relu2</c>.</summary>
        public ReLU Relu2 { get; }
        /// <summary><c>conv2</c>.</summary>
        public Conv2d Conv2 { get; }
        /// <summary>Dropout on the new features.</summary>
        public double DropRate { get; }

        /// <summary>The new features from all earlier ones.</summary>
        public Tensor Forward(IReadOnlyList<Tensor> previous)
        {
            var bottleneck = Conv1.Forward(Relu1.Forward(Norm1.Forward(Torch.Cat(previous, 1))));
            var y = Conv2.Forward(Relu2.Forward(Norm2.Forward(bottleneck)));
            return DropRate > 0 ? Functional.Dropout(y, DropRate, Training) : y;
        }

        /// <inheritdoc/>
        protected override string ReprName => "_DenseLayer";
    }

    /// <summary>Dense layers whose outputs are concatenated (<c>_DenseBlock</c>, a ModuleDict of <c>denselayerN</c>).</summary>
    public sealed class DenseBlock : Module<Tensor, Tensor>
    {
        readonly List<DenseLayer> layers = [];

        /// <summary>Creates the block.</summary>
        public DenseBlock(int numLayers, int numInputFeatures, int bnSize, int growthRate, double dropRate)
        {
            for (int i = 0; i < numLayers; i++)
            {
                var layer = new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize, dropRate);
                RegisterModule($"denselayer{i + 1}", layer);
                layers.Add(layer);
            }
        }

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            var features = new List<Tensor> { input };
            foreach (var l in layers) features.Add(l.Forward(features));
            return Torch.Cat(features, 1);
        }

        /// <inheritdoc/>
        protected override string ReprName => "_DenseBlock";
    }

    /// <summary>BN-ReLU-Conv1×1-AvgPool2 between blocks (<c>_Transition</c>, a Sequential).</summary>
    public sealed class Transition : Sequential
    {
        /// <summary>Creates the transition.</summary>
        public Transition(int numInputFeatures, int numOutputFeatures)
            : base(("norm", new BatchNorm2d(numInputFeatures)), ("relu", new ReLU(true)),
                   ("conv", new Conv2d(numInputFeatures, numOutputFeatures, 1, bias: false)), ("pool", new AvgPool2d(2, 2))) { }

        /// <inheritdoc/>
        protected override string ReprName => "_Transition";
    }
}
