namespace Aimi.Testing;

/// <summary>Waits for a condition that real asynchronous work (a broker, a relay, a consumer) makes true.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await probe();
            if (until(value))
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met in time{(because is null ? "" : $": {because}")}; last value: {Describe(value)}");
            }
            await Task.Delay(25);
        }
    }

    private static string Describe<T>(T value) =>
        value is System.Collections.ICollection collection ? $"{collection.Count} item(s)" : value?.ToString() ?? "null";
}
