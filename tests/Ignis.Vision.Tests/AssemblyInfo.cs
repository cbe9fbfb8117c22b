// Seeded tests draw from the process-wide default generator (torch.manual_seed's), so test classes must not run
// concurrently: another class constructing a model would consume draws in between.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
