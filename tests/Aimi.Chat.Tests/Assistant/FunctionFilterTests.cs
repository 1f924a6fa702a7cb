using Aimi.AI;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Assistant.Local;
using Aimi.Testing.FakeOpenAi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Xunit;

namespace Aimi.Chat.Tests.Assistant;

/// <summary>
/// The Chat service records tool calls in message metadata with an <see cref="IAutoFunctionInvocationFilter"/>; it must
/// see the same calls whichever provider runs.
/// </summary>
public sealed class FunctionFilterTests
{
    [Fact]
    public async Task A_registered_auto_invocation_filter_sees_the_local_models_calls()
    {
        var filter = new RecordingFilter();
        using var host = new AiTestHost(configure: services => services.AddSingleton<IAutoFunctionInvocationFilter>(filter));

        await host.AskAsync(AiTestHost.History("remind me to call mom tomorrow at 6pm"));

        Assert.Equal([AssistantTools.CreateEvent], filter.Functions);
        Assert.Contains("Call mom", filter.Results[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registered_auto_invocation_filter_sees_the_remote_models_calls()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        // Scripted by a delegate: call the tool first, then answer from the result the kernel sent back.
        server.ChatHandler = request => request.ToolResults.Count == 0
            ? FakeChatReply.CallTool("assistant-create_task", new { title = "Buy milk" })
            : FakeChatReply.Text("Saved: " + request.ToolResults[0].Content);
        var filter = new RecordingFilter();
        using var host = new AiTestHost(
            new Dictionary<string, string?>
            {
                ["AI:Chat:Endpoint"] = server.Endpoint.ToString(),
                ["AI:Chat:Model"] = "test-model",
                ["AI:Chat:RetryBaseDelayMilliseconds"] = "10",
            },
            services => services.AddSingleton<IAutoFunctionInvocationFilter>(filter));

        var reply = await host.AskAsync(AiTestHost.History("I need to buy milk"));

        Assert.Equal([AssistantTools.CreateTask], filter.Functions);
        Assert.StartsWith("Saved: {", reply.Content, StringComparison.Ordinal);
        Assert.Contains("Buy milk", reply.Content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("remind me to call mom", "Sorry, I can't reach my language model right now. Your message is saved — please try again in a moment.")]
    [InlineData("напомни позвонить маме", "Извините, я сейчас не могу связаться с моделью. Ваше сообщение сохранено — попробуйте ещё раз чуть позже.")]
    public void The_unavailable_reply_follows_the_users_language(string message, string expected)
    {
        Assert.Equal(expected, AssistantPrompt.UnavailableReply(message));
    }

    private sealed class RecordingFilter : IAutoFunctionInvocationFilter
    {
        public List<string> Functions { get; } = [];

        public List<string> Results { get; } = [];

        public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
        {
            await next(context);
            Functions.Add(context.Function.Name);
            Results.Add(System.Text.Json.JsonSerializer.Serialize(context.Result.GetValue<object>()));
        }
    }
}
