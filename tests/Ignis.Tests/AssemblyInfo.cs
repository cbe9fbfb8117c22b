using Xunit;

// Several classes seed and draw from the process-wide default generator; running them one at a time keeps
// the seeded sequences intact.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
