using System.Collections.Concurrent;
using Aimi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Aimi.Notifications.Tests;

/// <summary>
/// A webhook receiver or push service on loopback that misbehaves as told by the path <c>/{mode}/{id}</c>: <c>hold</c>
/// answers only once the test releases the id, <c>stall</c> sends a 503's headers and a few bytes of its body and then
/// nothing, <c>stream</c> (200) and <c>stream-503</c> send 100 MB of body and then keep it open without end; <c>ok</c>
/// answers at once. Once an id is released every mode answers at once. A mode starting with <c>push-</c> is the same as
/// a push service, whose success is a 201. Each request is recorded: when it came, and whether it ended by the client
/// cutting it off.
/// </summary>
public sealed class SlowReceiver : IAsyncDisposable
{
    public const long StreamLength = 100L * 1024 * 1024;
    /// <summary>How long a test waits for something a receiver must see; only reached when the code under test is wrong.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Target> _targets = new();
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public sealed class Request
    {
        /// <summary>Completes when the exchange ended: true when the client cut it off, false when it was answered in full.</summary>
        public TaskCompletionSource<bool> CutOff { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Target
    {
        public System.Threading.Channels.Channel<Request> Arrivals { get; } = System.Threading.Channels.Channel.CreateUnbounded<Request>();
        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static async Task<SlowReceiver> StartAsync()
    {
        var receiver = new SlowReceiver();
        var app = await LoopbackApp.StartAsync(app => app.MapPost("/{mode}/{id}", (HttpContext context, string mode, string id) => receiver.HandleAsync(context, mode, id)));
        receiver._app = app;
        receiver.BaseAddress = app.BaseAddress();
        return receiver;
    }

    public Uri Url(string mode, string id) => new(BaseAddress, $"{mode}/{id}");

    /// <summary>The next request for <paramref name="id"/> (the first, then the second…), once it has come.</summary>
    public async Task<Request> NextAsync(string id) => await Of(id).Arrivals.Reader.ReadAsync().AsTask().WaitAsync(Patience);

    /// <summary>Whether another request for <paramref name="id"/> has come that <see cref="NextAsync"/> has not returned yet.</summary>
    public bool HasMore(string id) => Of(id).Arrivals.Reader.Count > 0;

    /// <summary>Held requests for <paramref name="id"/> are answered now, and later ones at once.</summary>
    public void Release(string id) => Of(id).Released.TrySetResult();

    private Target Of(string id) => _targets.GetOrAdd(id, _ => new Target());

    private async Task HandleAsync(HttpContext context, string mode, string id)
    {
        var target = Of(id);
        var request = new Request();
        target.Arrivals.Writer.TryWrite(request);
        var aborted = context.RequestAborted;
        try
        {
            await context.Request.Body.CopyToAsync(Stream.Null, aborted);
            var success = mode.StartsWith("push-", StringComparison.Ordinal) ? StatusCodes.Status201Created : StatusCodes.Status200OK;
            switch (target.Released.Task.IsCompleted ? "ok" : mode.Replace("push-", "", StringComparison.Ordinal))
            {
                case "hold":
                    await target.Released.Task.WaitAsync(aborted);
                    context.Response.StatusCode = success;
                    break;
                case "stall":
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    await context.Response.Body.WriteAsync("busy, "u8.ToArray(), aborted);
                    await context.Response.Body.FlushAsync(aborted);
                    await Task.Delay(Timeout.Infinite, aborted);
                    break;
                case "stream" or "stream-503":
                    context.Response.StatusCode = mode.EndsWith("-503", StringComparison.Ordinal) ? StatusCodes.Status503ServiceUnavailable : success;
                    var chunk = new byte[64 * 1024];
                    Array.Fill(chunk, (byte)'x');
                    for (long sent = 0; sent < StreamLength; sent += chunk.Length)
                    {
                        // Kestrel may complete a write after the client left without an error, so a count would prove
                        // nothing; the body's end, which never comes, is what a buffering client waits for.
                        await context.Response.Body.WriteAsync(chunk, aborted);
                    }
                    await target.Released.Task.WaitAsync(aborted);
                    break;
                default:
                    context.Response.StatusCode = success;
                    break;
            }
            request.CutOff.TrySetResult(false);
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            request.CutOff.TrySetResult(true);
        }
        catch (IOException)
        {
            request.CutOff.TrySetResult(true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var target in _targets.Values)
        {
            target.Released.TrySetResult();
        }
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
