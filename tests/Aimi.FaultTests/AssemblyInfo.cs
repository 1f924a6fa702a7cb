// One case at a time: a case measures what its fault costs (latency, time to recover), which another case's kill or
// restart running beside it on the same cores would distort.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
