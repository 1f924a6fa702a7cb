using Aimi.Chat.Api.Assistant.Local;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Services;
using Xunit;

namespace Aimi.Chat.Tests.Assistant;

public sealed class LocalAssistantRegistrationTests
{
    [Fact]
    public void Without_configuration_the_chat_model_is_the_local_assistant()
    {
        using var host = new AiTestHost();

        Assert.Equal(LocalChatClient.ModelId, host.Kernel.GetRequiredService<IChatCompletionService>().GetModelId());
    }
}
