using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// Device sampling: Philox4x32-10 checked against the published Random123 known answers (through a host reference
/// whose words the device's uniforms must reproduce exactly), reproducibility per seed, the distributions' moments, and
/// the host option that reproduces the CPU's numbers.
/// </summary>
[Collection("opencl serial")]
public class RandomKernelTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    /// <summary>Philox4x32-10 (Salmon et al. 2011), written from the paper: the reference the device kernel is held to.</summary>
    static uint[] Philox(uint[] counter, uint[] key)
    {
        uint c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3], k0 = key[0], k1 = key[1];
        for (int r = 0; r < 10; r++)
        {
            if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
            ulong p0 = 0xD2511F53UL * c0, p1 = 0xCD9E8D57UL * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
        }
        return [c0, c1, c2, c3];
    }

    [Fact]
    public void The_reference_matches_random123s_known_answers()
    {
        Assert.Equal([0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u], Philox([0, 0, 0, 0], [0, 0]));
        Assert.Equal([0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu], Philox([~0u, ~0u, ~0u, ~0u], [~0u, ~0u]));
        Assert.Equal([0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u],
            Philox([0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u], [0xa4093822u, 0x299f31d0u]));
    }

    [OpenCLFact]
    public void Device_uniforms_are_the_philox_words_of_seed_offset_and_element()
    {
        var gen = new Generator(0x1234_5678_9abc_def0UL);
        gen.PhiloxOffset = 7;
        var u = Torch.Empty([10], DType.Float32, Cl).Uniform_(0, 1, gen).Cpu().ToArray<float>();
        Assert.Equal(8UL, gen.PhiloxOffset);
        for (int i = 0; i < u.Length; i++)
        {
            uint word = Philox([(uint)(i / 4), 0, 7, 0], [0x9abcdef0u, 0x12345678u])[i % 4];
            Assert.Equal((word >> 8) * (1f / (1 << 24)), u[i]);
        }
        // float64: 53 bits from two words.
        var d = Torch.Empty([3], DType.Float64, Cl).Uniform_(0, 1, new Generator(9)).Cpu().ToArray<double>();
        var w = Philox([0, 0, 0, 0], [9, 0]);
        Assert.Equal((((ulong)w[0] << 32 | w[1]) >> 11) * (1.0 / (1UL << 53)), d[0]);
        Assert.Equal((((ulong)w[2] << 32 | w[3]) >> 11) * (1.0 / (1UL << 53)), d[1]);
    }

    [OpenCLFact]
    public void A_seed_reproduces_device_draws_and_cpu_draws_are_unaffected()
    {
        Torch.ManualSeed(5);
        var a = Torch.Randn([1000], device: Cl).Cpu().ToArray<float>();
        var b = Torch.Randn([1000], device: Cl).Cpu().ToArray<float>();
        var cpuAfter = Torch.Rand(4).ToArray<float>();
        Torch.ManualSeed(5);
        Assert.Equal(a, Torch.Randn([1000], device: Cl).Cpu().ToArray<float>());
        Assert.NotEqual(a, b);
        Torch.ManualSeed(5);
        Assert.Equal(cpuAfter, Torch.Rand(4).ToArray<float>()); // device draws leave the CPU stream alone
    }

    [OpenCLTheory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Distributions_have_their_moments(ScalarType dtypeKind)
    {
        DType dtype = dtypeKind;
        Torch.ManualSeed(17);
        const int n = 1 << 20;
        OpenCLBackend.ResetHostFallbacks();
        var u = Torch.Empty([n], dtype, Cl).Uniform_(-2, 3).Cpu().To(DType.Float64);
        Assert.True(u.Min().Item<double>() >= -2 && u.Max().Item<double>() <= 3);
        Assert.InRange(u.Mean().Item<double>(), 0.5 - 0.01, 0.5 + 0.01);
        Assert.InRange(u.Var().Item<double>(), 25.0 / 12 * 0.99, 25.0 / 12 * 1.01);
        var z = Torch.Empty([n], dtype, Cl).Normal_(1.5, 2).Cpu().To(DType.Float64);
        Assert.InRange(z.Mean().Item<double>(), 1.5 - 0.01, 1.5 + 0.01);
        Assert.InRange(z.Std().Item<double>(), 2 * 0.99, 2 * 1.01);
        Assert.InRange(z.Sub(1.5).Div(2).Pow(4).Mean().Item<double>(), 2.95, 3.05); // normal kurtosis
        var bern = Torch.Empty([n], dtype, Cl).Bernoulli_(0.3).Cpu().To(DType.Float64);
        Assert.Equal(0, bern.Mul(bern.Sub(1)).Abs().Sum().Item<double>()); // only 0 and 1
        Assert.InRange(bern.Mean().Item<double>(), 0.3 - 0.003, 0.3 + 0.003);
        Assert.Empty(OpenCLBackend.HostFallbacks);
    }

    [OpenCLFact]
    public void A_strided_view_is_filled_in_place_and_the_rest_untouched()
    {
        var x = Torch.Zeros([6, 4], DType.Float32, Cl);
        x.T.Narrow(0, 1, 2).Uniform_(5, 6);
        var host = x.Cpu();
        Assert.Equal(0f, host.Narrow(1, 0, 1).Abs().Sum().Item<float>());
        Assert.Equal(0f, host.Narrow(1, 3, 1).Abs().Sum().Item<float>());
        var filled = host.Narrow(1, 1, 2);
        Assert.True(filled.Min().Item<float>() >= 5 && filled.Max().Item<float>() <= 6);
    }

    [OpenCLFact]
    public void Sampling_on_the_host_gives_the_cpus_numbers()
    {
        OpenCLBackend.SampleOnHost = true;
        try
        {
            Torch.ManualSeed(3);
            var device = Torch.Empty([50], DType.Float32, Cl).Normal_().Cpu().ToArray<float>();
            Torch.ManualSeed(3);
            Assert.Equal(Torch.Empty([50]).Normal_().ToArray<float>(), device);
        }
        finally { OpenCLBackend.SampleOnHost = false; }
        using (OpenCLBackend.HostSampling())
        {
            Torch.ManualSeed(4);
            var device = Torch.Empty([50], DType.Float32, Cl).Bernoulli_(0.5).Cpu().ToArray<float>();
            Torch.ManualSeed(4);
            Assert.Equal(Torch.Empty([50]).Bernoulli_(0.5).ToArray<float>(), device);
        }
        Torch.ManualSeed(4);
        Assert.NotEqual(Torch.Empty([50]).Uniform_().ToArray<float>(), Torch.Empty([50], DType.Float32, Cl).Uniform_().Cpu().ToArray<float>());
    }
}
