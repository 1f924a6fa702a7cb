namespace Aimi.FaultTests;

/// <summary>Lets go of a case's resources in the order given (the service process before what it uses); absent ones are skipped.</summary>
internal static class Resources
{
    public static async Task DisposeInOrderAsync(params object?[] resources)
    {
        foreach (var resource in resources)
        {
            switch (resource)
            {
                case IAsyncDisposable asynchronous:
                    await asynchronous.DisposeAsync();
                    break;
                case IDisposable synchronous:
                    synchronous.Dispose();
                    break;
            }
        }
    }
}
