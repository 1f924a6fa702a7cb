using Aimi.Testing;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Aimi.Notifications.Tests;

/// <summary>
/// A user's webhook receiver on loopback, as a careful integrator writes one: it checks the HMAC over timestamp and
/// body with the user's secret and keeps one notification per idempotency key. It can be told to fail first.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, string> _accepted = new();
    private readonly ConcurrentQueue<(string Key, HttpStatusCode Status)> _requests = new();
    private WebApplication? _app;
    private int _failuresLeft;

    public Uri Url { get; private set; } = null!;
    public string? Secret { get; set; }
    public HttpStatusCode FailureStatus { get; set; } = HttpStatusCode.ServiceUnavailable;

    /// <summary>Bodies by idempotency key: what the integrator acted on.</summary>
    public IReadOnlyDictionary<string, string> Accepted => _accepted;
    public IReadOnlyList<(string Key, HttpStatusCode Status)> Requests => _requests.ToList();

    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        var app = await LoopbackApp.StartAsync(app => app.MapPost("/hook", receiver.HandleAsync));
        receiver._app = app;
        receiver.Url = new Uri(app.BaseAddress(), "hook");
        return receiver;
    }

    private async Task<IResult> HandleAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var key = request.Headers["Idempotency-Key"].ToString();
        var timestamp = request.Headers["X-Aimi-Timestamp"].ToString();
        var signature = request.Headers["X-Aimi-Signature"].ToString();
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            _requests.Enqueue((key, FailureStatus));
            return Results.StatusCode((int)FailureStatus);
        }
        var expected = "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret ?? ""), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));
        if (Secret is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)) || key.Length == 0)
        {
            _requests.Enqueue((key, HttpStatusCode.Unauthorized));
            return Results.Unauthorized();
        }
        _accepted.TryAdd(key, body); // a retry of a delivery already acted on changes nothing
        _requests.Enqueue((key, HttpStatusCode.OK));
        return Results.Ok();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
