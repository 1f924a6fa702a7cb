using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Aimi.Testing.FakeOpenAi;

/// <summary>
/// A real HTTP server on a free loopback port that speaks the OpenAI wire format — <c>POST /v1/chat/completions</c>
/// (JSON, or server-sent event chunks when <c>stream: true</c>, tool calls in both) and <c>POST /v1/embeddings</c>
/// (float or base64) — so the OpenAI SDK and Semantic Kernel run unmodified against it. Scripted per test: queue replies
/// with <see cref="Enqueue"/> or answer from <see cref="ChatHandler"/>; make the next requests fail with
/// <see cref="FailNext"/>; every request is recorded for assertions.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Queue<FakeChatReply> _replies = new();
    private readonly Queue<(int Status, TimeSpan? RetryAfter)> _failures = new();
    private readonly List<FakeChatRequest> _chatRequests = [];
    private readonly List<FakeEmbeddingRequest> _embeddingRequests = [];
    private readonly List<FakeRecordedRequest> _requests = [];
    private WebApplication? _app;
    private int _sequence;

    private FakeOpenAiServer()
    {
    }

    /// <summary>Base address including <c>/v1</c>, as an OpenAI client's endpoint.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Answers chat requests when the queue is empty; when both are empty the server answers 500 so the test fails loudly.</summary>
    public Func<FakeChatRequest, FakeChatReply>? ChatHandler { get; set; }

    /// <summary>The vector for one embedding input; by default a deterministic 8-dimensional bag of characters.</summary>
    public Func<string, float[]> Embed { get; set; } = DefaultEmbed;

    /// <summary>Delay before answering each request (to exercise client timeouts).</summary>
    public TimeSpan ResponseDelay { get; set; }

    public IReadOnlyList<FakeChatRequest> ChatRequests
    {
        get
        {
            lock (_gate)
            {
                return [.. _chatRequests];
            }
        }
    }

    public IReadOnlyList<FakeEmbeddingRequest> EmbeddingRequests
    {
        get
        {
            lock (_gate)
            {
                return [.. _embeddingRequests];
            }
        }
    }

    /// <summary>Every request, failed ones included, in arrival order.</summary>
    public IReadOnlyList<FakeRecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<FakeOpenAiServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeOpenAiServer();
        var app = await LoopbackApp.StartAsync(
            map: app =>
            {
                app.MapPost("/v1/chat/completions", server.HandleChatAsync);
                app.MapPost("/v1/embeddings", server.HandleEmbeddingsAsync);
            },
            new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory },
            cancellationToken);
        server._app = app;
        server.Endpoint = new Uri(app.BaseAddress(), "v1");
        return server;
    }

    /// <summary>An endpoint on a loopback port nobody listens on, for "model unreachable" tests.</summary>
    public static Uri UnreachableEndpoint()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}/v1");
    }

    public void Enqueue(params FakeChatReply[] replies)
    {
        lock (_gate)
        {
            foreach (var reply in replies)
            {
                _replies.Enqueue(reply);
            }
        }
    }

    /// <summary>The next <paramref name="times"/> requests (chat or embeddings) answer <paramref name="statusCode"/> with an OpenAI error body.</summary>
    public void FailNext(int statusCode, int times = 1, TimeSpan? retryAfter = null)
    {
        lock (_gate)
        {
            for (var i = 0; i < times; i++)
            {
                _failures.Enqueue((statusCode, retryAfter));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task HandleChatAsync(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var request = ParseChat(document.RootElement);
        FakeChatReply? reply;
        (int Status, TimeSpan? RetryAfter)? failure;
        lock (_gate)
        {
            _chatRequests.Add(request);
            failure = _failures.Count > 0 ? _failures.Dequeue() : null;
            reply = failure is null && _replies.Count > 0 ? _replies.Dequeue() : null;
        }

        await DelayAsync(context);
        if (failure is { } f)
        {
            await FailAsync(context, f.Status, f.RetryAfter);
            return;
        }

        reply ??= ChatHandler?.Invoke(request);
        if (reply is null)
        {
            await FailAsync(context, StatusCodes.Status500InternalServerError, null, "FakeOpenAiServer: no scripted reply for this request.");
            return;
        }

        Record(context, StatusCodes.Status200OK);
        var sequence = Interlocked.Increment(ref _sequence);
        var id = "chatcmpl-fake-" + sequence;
        var model = request.Model ?? "fake-model";
        var calls = reply.ToolCalls.Select((c, i) => c with { Id = c.Id ?? $"call_{sequence}_{i}" }).ToList();
        if (request.Stream)
        {
            await StreamAsync(context, id, model, reply.Content, calls);
        }
        else
        {
            await WriteCompletionAsync(context, id, model, reply.Content, calls);
        }
    }

    private async Task HandleEmbeddingsAsync(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var root = document.RootElement;
        var inputs = root.GetProperty("input") switch
        {
            { ValueKind: JsonValueKind.String } single => [single.GetString()!],
            { ValueKind: JsonValueKind.Array } many => many.EnumerateArray().Select(e => e.GetString() ?? "").ToList(),
            _ => new List<string>(),
        };
        var request = new FakeEmbeddingRequest(
            root.TryGetProperty("model", out var model) ? model.GetString() : null,
            inputs,
            root.TryGetProperty("dimensions", out var dims) && dims.ValueKind == JsonValueKind.Number ? dims.GetInt32() : null,
            root.TryGetProperty("encoding_format", out var format) ? format.GetString() : null);
        (int Status, TimeSpan? RetryAfter)? failure;
        lock (_gate)
        {
            _embeddingRequests.Add(request);
            failure = _failures.Count > 0 ? _failures.Dequeue() : null;
        }

        await DelayAsync(context);
        if (failure is { } f)
        {
            await FailAsync(context, f.Status, f.RetryAfter);
            return;
        }

        Record(context, StatusCodes.Status200OK);
        var data = new JsonArray();
        for (var i = 0; i < inputs.Count; i++)
        {
            var vector = Embed(inputs[i]);
            JsonNode embedding = request.EncodingFormat == "base64"
                ? JsonValue.Create(Convert.ToBase64String(FloatsToBytes(vector)))
                : new JsonArray(vector.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding });
        }

        var tokens = inputs.Sum(s => Math.Max(1, s.Length / 4));
        var body = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = request.Model ?? "fake-embedding",
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private static async Task WriteCompletionAsync(HttpContext context, string id, string model, string? content, List<FakeToolCall> calls)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = content };
        if (calls.Count > 0)
        {
            message["tool_calls"] = new JsonArray(calls.Select(c => (JsonNode?)new JsonObject
            {
                ["id"] = c.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.ArgumentsJson },
            }).ToArray());
        }

        var body = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["finish_reason"] = calls.Count > 0 ? "tool_calls" : "stop",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext context, string id, string model, string? content, List<FakeToolCall> calls)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        async Task SendAsync(JsonObject delta, string? finishReason)
        {
            var chunk = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = created,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason }),
            };
            await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        await SendAsync(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null);
        if (!string.IsNullOrEmpty(content))
        {
            // Several small deltas, as real servers send them.
            for (var i = 0; i < content.Length; i += 8)
            {
                await SendAsync(new JsonObject { ["content"] = content.Substring(i, Math.Min(8, content.Length - i)) }, null);
            }
        }

        for (var index = 0; index < calls.Count; index++)
        {
            var call = calls[index];
            await SendAsync(new JsonObject
            {
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["index"] = index,
                    ["id"] = call.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = "" },
                }),
            }, null);
            // Arguments arrive in fragments that only parse once joined.
            for (var i = 0; i < call.ArgumentsJson.Length; i += 10)
            {
                await SendAsync(new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = index,
                        ["function"] = new JsonObject { ["arguments"] = call.ArgumentsJson.Substring(i, Math.Min(10, call.ArgumentsJson.Length - i)) },
                    }),
                }, null);
            }
        }

        await SendAsync(new JsonObject(), calls.Count > 0 ? "tool_calls" : "stop");
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }

    private async Task FailAsync(HttpContext context, int status, TimeSpan? retryAfter, string? message = null)
    {
        Record(context, status);
        context.Response.StatusCode = status;
        if (retryAfter is { } delay)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(delay.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var type = status == StatusCodes.Status429TooManyRequests ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
        var body = new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message ?? $"Scripted failure {status}.", ["type"] = type, ["code"] = null },
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private void Record(HttpContext context, int status)
    {
        lock (_gate)
        {
            _requests.Add(new FakeRecordedRequest(context.Request.Path, status, context.Request.Headers.Authorization.ToString()));
        }
    }

    private async Task DelayAsync(HttpContext context)
    {
        if (ResponseDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(ResponseDelay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up (its timeout); nothing left to answer.
            }
        }
    }

    private static FakeChatRequest ParseChat(JsonElement root)
    {
        var messages = new List<FakeChatMessage>();
        if (root.TryGetProperty("messages", out var list))
        {
            foreach (var message in list.EnumerateArray())
            {
                var calls = new List<FakeRequestToolCall>();
                if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in toolCalls.EnumerateArray())
                    {
                        var function = call.GetProperty("function");
                        calls.Add(new FakeRequestToolCall(
                            call.GetProperty("id").GetString() ?? "",
                            function.GetProperty("name").GetString() ?? "",
                            function.TryGetProperty("arguments", out var args) ? args.GetString() ?? "" : ""));
                    }
                }

                messages.Add(new FakeChatMessage(
                    message.GetProperty("role").GetString() ?? "",
                    ContentText(message),
                    message.TryGetProperty("tool_call_id", out var toolCallId) ? toolCallId.GetString() : null,
                    calls));
            }
        }

        var tools = new List<FakeTool>();
        if (root.TryGetProperty("tools", out var toolList) && toolList.ValueKind == JsonValueKind.Array)
        {
            foreach (var tool in toolList.EnumerateArray())
            {
                var function = tool.GetProperty("function");
                tools.Add(new FakeTool(
                    function.GetProperty("name").GetString() ?? "",
                    function.TryGetProperty("description", out var description) ? description.GetString() : null,
                    function.TryGetProperty("parameters", out var parameters) ? parameters.Clone() : default));
            }
        }

        return new FakeChatRequest(
            root.TryGetProperty("model", out var model) ? model.GetString() : null,
            root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True,
            messages,
            tools,
            root.Clone());
    }

    private static string? ContentText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return null;
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString(),
            JsonValueKind.Array => string.Concat(content.EnumerateArray()
                .Where(part => part.TryGetProperty("text", out _))
                .Select(part => part.GetProperty("text").GetString())),
            _ => null,
        };
    }

    private static byte[] FloatsToBytes(float[] vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }

        return bytes;
    }

    private static float[] DefaultEmbed(string input)
    {
        var vector = new float[8];
        foreach (var b in Encoding.UTF8.GetBytes(input))
        {
            vector[b % 8] += 1;
        }

        return vector;
    }
}
