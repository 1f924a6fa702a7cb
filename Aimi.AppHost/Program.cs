using Aimi.AppHost.Infrastructure;

await LocalInfrastructure.EnsureAsync();
Console.WriteLine("Infrastructure ready.");
