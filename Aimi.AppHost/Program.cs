using Aimi.Infrastructure;

await LocalInfrastructure.EnsureAsync();
Console.WriteLine("Infrastructure ready.");
