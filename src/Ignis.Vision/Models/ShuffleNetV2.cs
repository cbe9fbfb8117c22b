using Ignis.Nn;

namespace Ignis.Vision.Models;

/// <summary>ShuffleNetV2 as torchvision 0.14 builds it (<c>torchvision.models.ShuffleNetV2</c>; x1.0 = repeats 4/8/4, channels 24/116/232/464/1024).</summary>
public sealed class ShuffleNetV2 : Module<Tensor, Tensor>
{
    /// <summary>Creates the network (<c>ShuffleNetV2(stages_repeats, stages_out_channels, num_classes)</c>) with PyTorch's default layer initialisation.</summary>
    public ShuffleNetV2(int[] stagesRepeats, int[] stagesOutChannels, int numClasses = 1000)
    {
        if (stagesRepeats.Length != 3) throw new ArgumentException("expected stages_repeats as list of 3 positive ints");
        if (stagesOutChannels.Length != 5) throw new ArgumentException("expected stages_out_channels as list of 5 positive ints");
        int input = 3, output = stagesOutChannels[0];
        Conv1 = new Sequential(new Conv2d(input, output, 3, 2, 1, bias: false), new BatchNorm2d(output), new ReLU(true));
        input = output;
        Maxpool = new MaxPool2d(3, 2, 1);
        var stages = new Sequential[3];
        for (int s = 0; s < 3; s++)
        {
            output = stagesOutChannels[s + 1];
            var seq = new Sequential(new InvertedResidual(input, output, 2));
            for (int i = 0; i < stagesRepeats[s] - 1; i++) seq.Append(new InvertedResidual(output, output, 1));
            stages[s] = seq;
            input = output;
        }
        (Stage2, Stage3, Stage4) = (stages[0], stages[1], stages[2]);
        output = stagesOutChannels[^1];
        Conv5 = new Sequential(new Conv2d(input, output, 1, 1, 0, bias: false), new BatchNorm2d(output), new ReLU(true));
        Fc = new Linear(output, numClasses);
    }

    /// <summary><c>conv1</c>.</summary>
    public Sequential Conv1 { get; set; }
    /// <summary><c>maxpool</c>.</summary>
    public Module<Tensor, Tensor> Maxpool { get; set; }
    /// <summary><c>stage2</c>.</summary>
    public Sequential Stage2 { get; set; }
    /// <summary><c>stage3</c>.</summary>
    public Sequential Stage3 { get; set; }
    /// <summary><c>stage4</c>.</summary>
    public Sequential Stage4 { get; set; }
    /// <summary><c>conv5</c>.</summary>
    public Sequential Conv5 { get; set; }
    /// <summary>The head (<c>fc</c>).</summary>
    public Module<Tensor, Tensor> Fc { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = Maxpool.Forward(Conv1.Forward(input));
        x = Conv5.Forward(Stage4.Forward(Stage3.Forward(Stage2.Forward(x))));
        return Fc.Forward(x.Mean([2, 3]));
    }

    /// <summary>torchvision's <c>channel_shuffle</c>: interleaves the channel groups.</summary>
    public static Tensor ChannelShuffle(Tensor x, int groups)
    {
        long b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        return x.View(b, groups, c / groups, h, w).Transpose(1, 2).Contiguous().View(b, -1, h, w);
    }

    /// <summary>ShuffleNetV2's unit (<c>shufflenetv2.InvertedResidual</c>): split or downsample, two branches, concatenate, shuffle.</summary>
    public sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        readonly int stride;

        /// <summary>Creates the unit.</summary>
        public InvertedResidual(int inp, int oup, int stride)
        {
            if (stride < 1 || stride > 3) throw new ArgumentException("illegal stride value");
            this.stride = stride;
            int bf = oup / 2;
            if (stride == 1 && inp != bf << 1)
                throw new ArgumentException($"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. If stride == 1 then inp should be equal to oup // 2 << 1.");
            Branch1 = stride > 1
                ? new Sequential(
                    new Conv2d(inp, inp, 3, stride, 1, groups: inp, bias: false), new BatchNorm2d(inp),
                    new Conv2d(inp, bf, 1, 1, 0, bias: false), new BatchNorm2d(bf), new ReLU(true))
                : new Sequential();
            Branch2 = new Sequential(
                new Conv2d(stride > 1 ? inp : bf, bf, 1, 1, 0, bias: false), new BatchNorm2d(bf), new ReLU(true),
                new Conv2d(bf, bf, 3, stride, 1, groups: bf, bias: false), new BatchNorm2d(bf),
                new Conv2d(bf, bf, 1, 1, 0, bias: false), new BatchNorm2d(bf), new ReLU(true));
        }

        /// <summary><c>branch1</c> (empty for stride 1).</summary>
        public Sequential Branch1 { get; }
        /// <summary><c>branch2</c>.</summary>
        public Sequential Branch2 { get; }

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            Tensor o;
            if (stride == 1)
            {
                var halves = input.Chunk(2, 1);
                o = Torch.Cat([halves[0], Branch2.Forward(halves[1])], 1);
            }
            else o = Torch.Cat([Branch1.Forward(input), Branch2.Forward(input)], 1);
            return ChannelShuffle(o, 2);
        }
    }
}
