using System.Runtime.InteropServices;
using Aimi.AppHost;
using Aimi.AppHost.Hosting;
using Aimi.AppHost.Publishing;

if (args is [PublishOptions.Command, .. var publishArgs])
{
    try
    {
        return PublishCommand.Run(Topology.Build(), PublishOptions.Parse(publishArgs), Console.Out);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine(e.Message);
        Console.Error.WriteLine(PublishOptions.Usage);
        return 2;
    }
}

LaunchOptions options;
try
{
    options = LaunchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LaunchOptions.Usage);
    return 2;
}
if (options.Command == "help")
{
    Console.WriteLine(LaunchOptions.Usage);
    Console.WriteLine(PublishOptions.Usage);
    return 0;
}

// Ctrl-C and SIGTERM end the run; UpCommand then stops every child process tree before exiting.
using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });

try
{
    return await UpCommand.RunAsync(Topology.Build(), options, stop.Token);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
