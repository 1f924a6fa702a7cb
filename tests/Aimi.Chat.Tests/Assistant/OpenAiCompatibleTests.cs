using Aimi.AI;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Assistant.Local;
using System.Diagnostics;
using System.Text.Json;
using Aimi.Testing.FakeOpenAi;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Chat.Tests.Assistant;

/// <summary>The OpenAI-compatible provider against a real HTTP server speaking the OpenAI wire format.</summary>
public sealed class OpenAiCompatibleTests : IAsyncLifetime, IDisposable
{
    private FakeOpenAiServer _server = null!;
    private AiTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenAiServer.StartAsync();
        _host = new AiTestHost(Settings(_server.Endpoint));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_scripted_tool_call_is_executed_by_the_kernel_and_its_result_sent_back()
    {
        _server.Enqueue(
            FakeChatReply.CallTool("assistant-create_event", new { title = "Call mom", startsAt = "2026-11-25T18:00:00+01:00" }),
            FakeChatReply.Text("Added “Call mom” for tomorrow at 18:00."));

        var reply = await _host.AskAsync(AiTestHost.History("remind me to call mom tomorrow at 6pm"));

        Assert.Equal("Added “Call mom” for tomorrow at 18:00.", reply.Content);
        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(AssistantTools.CreateEvent, call.Tool);
        Assert.Equal("2026-11-25T18:00:00+01:00", call.Arguments[AssistantTools.Parameters.StartsAt]);

        var requests = _server.ChatRequests;
        Assert.Equal(2, requests.Count);
        Assert.Equal("test-model", requests[0].Model);
        Assert.False(requests[0].Stream);
        Assert.Equal(AssistantTools.All.Select(t => "assistant-" + t).Order(), requests[0].ToolNames.Order());
        Assert.Contains(AiTestHost.SystemPrompt(), requests[0].Messages[0].Content, StringComparison.Ordinal);
        Assert.Equal("remind me to call mom tomorrow at 6pm", requests[0].LastUserText);

        var sentBack = Assert.Single(requests[1].ToolResults);
        var assistantCall = Assert.Single(requests[1].Messages.Single(m => m.Role == "assistant").ToolCalls);
        Assert.Equal(assistantCall.Id, sentBack.ToolCallId);
        using var result = JsonDocument.Parse(sentBack.Content!);
        Assert.Equal("Call mom", result.RootElement.GetProperty("Title").GetString());
        Assert.Equal("pending_confirmation", result.RootElement.GetProperty("Status").GetString());
        Assert.All(_server.Requests, r => Assert.Equal("Bearer test-key", r.Authorization));
    }

    [Fact]
    public async Task Tool_parameters_are_described_to_the_model_with_the_contract_names()
    {
        _server.Enqueue(FakeChatReply.Text("Hello!"));

        await _host.AskAsync(AiTestHost.History("hi"));

        var createEvent = _server.ChatRequests[0].Tools.Single(t => t.Name == "assistant-create_event");
        var properties = createEvent.Parameters.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal([AssistantTools.Parameters.Title, AssistantTools.Parameters.StartsAt, AssistantTools.Parameters.EndsAt, AssistantTools.Parameters.Notes], properties);
        Assert.Equal(AssistantTools.Descriptions.CreateEvent, createEvent.Description);
    }

    [Fact]
    public async Task Streaming_delivers_text_deltas_and_executes_streamed_tool_calls()
    {
        _server.Enqueue(
            FakeChatReply.CallTool("assistant-create_habit", new { title = "Run", cadence = "0 7 * * 1-5" }),
            FakeChatReply.Text("Your new habit starts tomorrow at 07:00. Good luck!"));

        var text = await _host.AskStreamingAsync(AiTestHost.History("every weekday at 7 run"));

        Assert.Equal("Your new habit starts tomorrow at 07:00. Good luck!", text);
        Assert.True(_host.StreamedChunks.Count > 3);
        var call = Assert.Single(_host.Plugin.Calls);
        Assert.Equal(AssistantTools.CreateHabit, call.Tool);
        Assert.Equal("0 7 * * 1-5", call.Arguments[AssistantTools.Parameters.Cadence]);
        Assert.All(_server.ChatRequests, r => Assert.True(r.Stream));
        Assert.Single(_server.ChatRequests[1].ToolResults);
    }

    [Fact]
    public async Task A_429_then_200_is_retried()
    {
        _server.FailNext(429);
        _server.Enqueue(FakeChatReply.Text("Hi there!"));

        var reply = await _host.AskAsync(AiTestHost.History("hello"));

        Assert.Equal("Hi there!", reply.Content);
        Assert.Equal([429, 200], _server.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Server_errors_are_retried_with_backoff_for_streams_too()
    {
        _server.FailNext(500);
        _server.FailNext(503);
        _server.Enqueue(FakeChatReply.Text("Back again."));

        var text = await _host.AskStreamingAsync(AiTestHost.History("hello"));

        Assert.Equal("Back again.", text);
        Assert.Equal([500, 503, 200], _server.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Persistent_failures_end_in_the_typed_exception_after_the_configured_retries()
    {
        _server.FailNext(503, times: 10);

        var error = await Assert.ThrowsAsync<AiUnavailableException>(() => _host.AskAsync(AiTestHost.History("hello")));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal(3, _server.Requests.Count); // the first attempt and MaxRetries = 2
    }

    [Fact]
    public async Task The_service_defaults_resilience_handler_does_not_stack_on_the_model_client()
    {
        // What Aimi.ServiceDefaults does for every HttpClient; the model client must keep its own budget only.
        using var host = new AiTestHost(Settings(_server.Endpoint), services => services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler()));
        _server.FailNext(503, times: 10);

        await Assert.ThrowsAsync<AiUnavailableException>(() => host.AskAsync(AiTestHost.History("hello")));

        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task A_client_error_is_not_retried_and_is_reported_as_unavailable()
    {
        _server.FailNext(401);

        var error = await Assert.ThrowsAsync<AiUnavailableException>(() => _host.AskAsync(AiTestHost.History("hello")));

        Assert.Equal(401, error.StatusCode);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task An_unreachable_endpoint_gives_the_typed_exception()
    {
        using var host = new AiTestHost(Settings(FakeOpenAiServer.UnreachableEndpoint()));

        var error = await Assert.ThrowsAsync<AiUnavailableException>(() => host.AskAsync(AiTestHost.History("hello")));
        var streamError = await Assert.ThrowsAsync<AiUnavailableException>(() => host.AskStreamingAsync(AiTestHost.History("hello")));

        Assert.Null(error.StatusCode);
        Assert.Null(streamError.StatusCode);
        Assert.Empty(host.Plugin.Calls);
    }

    [Fact]
    public async Task A_slow_model_times_out_into_the_typed_exception()
    {
        var settings = Settings(_server.Endpoint);
        settings["AI:Chat:TimeoutSeconds"] = "1";
        settings["AI:Chat:MaxRetries"] = "0";
        using var host = new AiTestHost(settings);
        _server.ResponseDelay = TimeSpan.FromSeconds(5);
        _server.Enqueue(FakeChatReply.Text("too late"));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<AiUnavailableException>(() => host.AskAsync(AiTestHost.History("hello")));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task A_caller_cancellation_stays_a_cancellation()
    {
        _server.ResponseDelay = TimeSpan.FromSeconds(5);
        _server.Enqueue(FakeChatReply.Text("too late"));
        var kernel = _host.Kernel;
        var chat = kernel.GetRequiredService<Microsoft.SemanticKernel.ChatCompletion.IChatCompletionService>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            chat.GetChatMessageContentsAsync(AiTestHost.History("hello"), AssistantTools.AutoInvokeSettings(), kernel, cancel.Token));

        Assert.IsNotType<AiUnavailableException>(error);
    }

    [Fact]
    public async Task Embeddings_come_from_the_endpoint_with_the_configured_model_and_dimensions()
    {
        _server.Embed = text => [text.Length, 1, 0, 0, 0, 0, 0, 0];
        _server.FailNext(429);
        var generator = _host.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        var embeddings = await generator.GenerateAsync(["walk the dog", "hi"]);

        Assert.Equal([12f, 1, 0, 0, 0, 0, 0, 0], embeddings[0].Vector.ToArray());
        Assert.Equal([2f, 1, 0, 0, 0, 0, 0, 0], embeddings[1].Vector.ToArray());
        var request = _server.EmbeddingRequests[^1];
        Assert.Equal("test-embedding", request.Model);
        Assert.Equal(8, request.Dimensions);
        Assert.Equal(["walk the dog", "hi"], request.Inputs);
        Assert.Equal([429, 200], _server.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Unreachable_embeddings_give_the_typed_exception()
    {
        using var host = new AiTestHost(Settings(FakeOpenAiServer.UnreachableEndpoint()));
        var generator = host.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        await Assert.ThrowsAsync<AiUnavailableException>(() => generator.GenerateAsync(["hello"]));
    }

    private static Dictionary<string, string?> Settings(Uri endpoint) => new()
    {
        ["AI:Chat:Provider"] = "openai",
        ["AI:Chat:Endpoint"] = endpoint.ToString(),
        ["AI:Chat:Model"] = "test-model",
        ["AI:Chat:ApiKey"] = "test-key",
        ["AI:Chat:TimeoutSeconds"] = "10",
        ["AI:Chat:MaxRetries"] = "2",
        ["AI:Chat:RetryBaseDelayMilliseconds"] = "10",
        ["AI:Embeddings:Endpoint"] = endpoint.ToString(),
        ["AI:Embeddings:Model"] = "test-embedding",
        ["AI:Embeddings:ApiKey"] = "test-key",
        ["AI:Embeddings:Dimensions"] = "8",
        ["AI:Embeddings:MaxRetries"] = "2",
        ["AI:Embeddings:RetryBaseDelayMilliseconds"] = "10",
    };
}
